using Memory.Server;

var app = ServerApplication.Build(args);
await app.RunAsync();
