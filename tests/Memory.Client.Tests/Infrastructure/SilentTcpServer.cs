using System.Net;
using System.Net.Sockets;

namespace Memory.Client.Tests.Infrastructure;

/// <summary>A loopback TCP server that accepts connections and reads requests but never answers: a hung server.</summary>
internal sealed class SilentTcpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _accepted = [];
    private readonly Task _accepting;
    private int _connections;

    public SilentTcpServer()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Uri BaseAddress => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    public int Connections => Volatile.Read(ref _connections);

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                lock (_accepted)
                {
                    _accepted.Add(client);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        lock (_accepted)
        {
            _accepted.ForEach(c => c.Dispose());
        }

        _stop.Dispose();
    }
}
