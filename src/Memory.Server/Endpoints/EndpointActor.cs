namespace Memory.Server.Endpoints;

/// <summary>The actor written to history rows for changes made through the REST API.</summary>
internal static class EndpointActor
{
    public const string Api = "api";
}
