using System.Diagnostics;
using Gfe.Engine.Kernels;
using Gfe.Engine.Models;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Gfe.Tests.Engine;

public class KernelTimingScratch(ITestOutputHelper output)
{
    [Fact]
    public void Time()
    {
        foreach (int batch in new[] { 16, 1000 })
        {
            using var generator = new Generator(1, CPU);
            using var decoder = new Decoder(generator);
            var images = SyntheticImages.Make(batch, 3).Pixels;
            var z = new float[batch * 20];
            var kernel = new DecoderKernel();
            kernel.Load(decoder);
            var losses = new float[batch]; var g = new float[batch * 20]; var n = new float[batch];
            int reps = batch == 16 ? 2000 : 30;
            for (int r = 0; r < 5; r++) { kernel.Forward(z, images, batch, losses); kernel.Gradient(g, n); }
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime; var w = Stopwatch.StartNew();
            for (int r = 0; r < reps; r++) kernel.Forward(z, images, batch, losses);
            var fw = w.Elapsed.TotalMilliseconds / reps; var fc = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds / reps;
            cpu0 = Process.GetCurrentProcess().TotalProcessorTime; w.Restart();
            for (int r = 0; r < reps; r++) kernel.Gradient(g, n);
            var bw = w.Elapsed.TotalMilliseconds / reps; var bc = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds / reps;
            double flops = 1.397e6 * batch;
            output.WriteLine($"B={batch} accel={PanelGemm.Accelerated} fwd {fw:F3} ms wall {fc:F3} cpu ({flops / fc / 1e6:F1} GF/s cpu); bwd {bw:F3} wall {bc:F3} cpu ({flops / bc / 1e6:F1} GF/s)");
        }
    }
}
public class ExpScratch(ITestOutputHelper output)
{
    [Fact]
    public void Accuracy()
    {
        double worstExp = 0, worstLog = 0;
        var rnd = new Random(1);
        for (int t = 0; t < 20000; t++)
        {
            var xs = Enumerable.Range(0, 16).Select(_ => (float)(rnd.NextDouble() * 170 - 86)).ToArray();
            var e = Exponentials.Exp(System.Runtime.Intrinsics.Vector512.Create(xs));
            for (int i = 0; i < 16; i++) worstExp = Math.Max(worstExp, Math.Abs(e[i] - Math.Exp(xs[i])) / Math.Exp(xs[i]));
            var ys = Enumerable.Range(0, 16).Select(_ => (float)Math.Exp(rnd.NextDouble() * 40 - 20)).ToArray();
            var l = Exponentials.Log(System.Runtime.Intrinsics.Vector512.Create(ys));
            for (int i = 0; i < 16; i++) worstLog = Math.Max(worstLog, Math.Abs(l[i] - Math.Log(ys[i])) / Math.Max(1, Math.Abs(Math.Log(ys[i]))));
        }
        output.WriteLine($"EXP worst rel {worstExp:E2}, LOG worst {worstLog:E2}");
    }
}
