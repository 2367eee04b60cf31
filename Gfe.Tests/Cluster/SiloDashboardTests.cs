using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Gfe.Tests.Cluster;

/// <summary>Orleans' dashboard behind the silo's Dashboard flag, with real gfe-silo processes: off by default, and on
/// loopback when on.</summary>
public sealed class SiloDashboardTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("gfe-dashboard-").FullName;
    readonly List<SiloProcess> silos = [];

    [Fact]
    public async Task The_dashboard_answers_on_loopback_when_switched_on_and_nothing_listens_when_it_is_off()
    {
        Assert.True(SiloProcess.FindSiloAssembly() is not null, $"gfe-silo.dll is not built beside {AppContext.BaseDirectory}");
        int onPort = SiloProcess.FreePort(), offPort = SiloProcess.FreePort();
        var on = Start("with-dashboard", "--Dashboard", "true", "--DashboardPort", onPort.ToString());
        var off = Start("without-dashboard", "--DashboardPort", offPort.ToString());
        // The limit only keeps a broken build from hanging the suite.
        await Task.WhenAll(on.WaitUntilReady(TimeSpan.FromSeconds(90)), off.WaitUntilReady(TimeSpan.FromSeconds(90)));

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var page = await http.GetAsync($"http://127.0.0.1:{onPort}/");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<html", await page.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        Assert.Contains(on.Lines, l => l.Contains($"Orleans dashboard on http://127.0.0.1:{onPort}/", StringComparison.Ordinal));
        Assert.False(Listens(offPort), $"a silo without the dashboard listens on {offPort}");
        Assert.DoesNotContain(off.Lines, l => l.Contains("Orleans dashboard on", StringComparison.Ordinal));
    }

    SiloProcess Start(string name, params string[] settings)
    {
        var silo = SiloProcess.StartLocal(name, root, ["--DataDirectory", Path.Combine(root, "data"), "--Slots", "1", .. settings]);
        silos.Add(silo);
        return silo;
    }

    static bool Listens(int port)
    {
        using var client = new TcpClient();
        try
        {
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        foreach (var silo in silos) silo.Dispose();
        try { Directory.Delete(root, recursive: true); }
        catch (IOException) { /* a killed process may still hold a file for a moment */ }
    }
}
