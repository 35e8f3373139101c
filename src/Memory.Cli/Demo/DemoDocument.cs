namespace Memory.Cli.Demo;

/// <summary>
/// The document the demo hides a pass key in: plain prose written for this project (no corpus ships with the
/// service), repeated to the length asked for, with the key stated once at a chosen depth, in the format the demo
/// model was trained to retrieve (tools/demo_model/train.py's PasskeyMaker).
/// </summary>
internal static class DemoDocument
{
    private const string Prose =
        "A lighthouse keeper kept a log of every ship that passed the point. Each morning he wrote the weather, the " +
        "height of the tide and the colour of the sea. In winter the entries were short, because the wind made the " +
        "ink freeze and the lamp needed trimming every hour. In summer he wrote long notes about the birds that " +
        "nested on the rocks below the tower, and about the fishermen who waved as they rowed out before dawn. " +
        "The log was a kind of memory for the coast: when a storm had moved a sandbank, the keeper could tell a " +
        "captain where the channel had been a year before and where it ran now. Visitors asked why he wrote so much " +
        "that nobody would read. He answered that a record is cheap to keep and dear to lack, and that the sea " +
        "forgets everything the moment a wave has passed. ";

    public static string Needle(string key) => $" The pass key is {key}. Remember it. {key} is the pass key.";

    public const string Question = " What is the pass key? The pass key is";

    /// <summary>About <paramref name="words"/> words of prose with the needle after <paramref name="depth"/> of them (0 to 1).</summary>
    public static string Build(int words, double depth, string key)
    {
        var source = Prose.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var text = new List<string>(words + 32);
        for (int i = 0; i < words; i++)
        {
            text.Add(source[i % source.Length]);
        }

        text.Insert(Math.Clamp((int)(words * depth), 0, text.Count), Needle(key).Trim());
        return string.Join(' ', text);
    }
}
