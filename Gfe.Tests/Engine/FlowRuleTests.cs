using System.Security.Cryptography;
using Gfe.Engine;
using Gfe.Engine.Flows;
using Gfe.Engine.Runs;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Gfe.Tests.Engine;

/// <summary>
/// The fixed-grid flows' rule (<see cref="FlowRule{T}"/>) on torch and on the host. Pins their bits, so that a rewrite of
/// the RK4 step, the right-hand sides or the grid walk shows up as a changed float, not just as a result within
/// tolerance. The field is element-wise float32 arithmetic (no matrix product), so every CPU computes the same bits: a
/// cubic, on the log grid (alpha != 1) with the Nesterov friction's eps, so every coefficient's rounding takes part. The
/// constants were recorded from the two separate torch and host implementations the rule replaced.
/// </summary>
public sealed class FlowRuleTests(ITestOutputHelper output)
{
    static readonly TimeGrid Grid = TimeGrid.From(new FlowOptions { Points = 9, Tau = 6, Grid = FlowGrid.Log });
    const double Eps = 1e-5;
    static readonly float[] Z0 = [0.9f, -1.3f, 0.4f, 2.1f, -0.2f, 1.7f];   // 2 rows x 3 latents

    static void HostField(ReadOnlySpan<float> z, Span<float> g)
    {
        for (int i = 0; i < z.Length; i++) g[i] = z[i] * z[i] * z[i] * 0.1f + z[i] * 0.5f - 0.25f;
    }

    static Tensor TorchField(Tensor z) => z.mul(z).mul(z).Times(0.1).Plus(z.Times(0.5)).PlusNumber(-0.25);

    /// <summary>SHA-256 (first 16 hex digits) of the bits of every state and slope, in order.</summary>
    static string Digest(IEnumerable<float[]> values)
    {
        var bytes = values.SelectMany(v => v.SelectMany(BitConverter.GetBytes)).ToArray();
        return Convert.ToHexString(SHA256.HashData(bytes))[..16];
    }

    static float[] Floats(Tensor t) => t.data<float>().ToArray();

    /// <summary>The gradient flow and the Nesterov flow: z*[0] as float bits and the digest of the whole path. Torch and
    /// host share them: on this field every operation is one IEEE float rounding on both sides, in the same order.</summary>
    public static TheoryData<bool, uint, string> Pins => new()
    {
        { false, 0x3F14AEC6u, "53FE4A2E44AE1D59" },
        { true, 0x3F27A750u, "189110522C723349" },
    };

    [Theory]
    [MemberData(nameof(Pins))]
    public void The_host_flows_keep_their_bits(bool nesterov, uint firstBits, string digest)
    {
        var flow = new HostFlow(Grid, nesterov, Eps);
        var path = flow.Solve(HostField, Z0, keepPath: true);
        var final = flow.Solve(HostField, Z0, keepPath: false);
        string actual = Digest(path.States!.Concat(path.Slopes!));
        output.WriteLine($"host nesterov {nesterov}: z*[0] = 0x{BitConverter.SingleToUInt32Bits(path.Final[0]):X8}, digest {actual}");
        Assert.Equal(firstBits, BitConverter.SingleToUInt32Bits(path.Final[0]));
        Assert.Equal(digest, actual);
        Assert.Equal(path.Final, final.Final);
    }

    [Theory]
    [MemberData(nameof(Pins))]
    public void The_torch_flows_keep_their_bits_and_agree_with_the_host(bool nesterov, uint firstBits, string digest)
    {
        using var scope = torch.NewDisposeScope();
        var z0 = torch.tensor(Z0, [2, 3]);
        var trajectory = nesterov
            ? new NesterovFlow(Grid, Eps).Solve(TorchField, z0)
            : new GradientFlow(Grid).Solve(TorchField, z0);
        var final = Floats(trajectory.Final);
        string actual = Digest(trajectory.States.Concat(trajectory.Slopes!).Select(Floats));
        output.WriteLine($"torch nesterov {nesterov}: z*[0] = 0x{BitConverter.SingleToUInt32Bits(final[0]):X8}, digest {actual}");
        Assert.Equal(firstBits, BitConverter.SingleToUInt32Bits(final[0]));
        Assert.Equal(digest, actual);

        // And within the tolerance the decoder flows are held to (KernelFlowTests), state by state and slope by slope.
        var host = new HostFlow(Grid, nesterov, Eps).Solve(HostField, Z0, keepPath: true);
        for (int k = 0; k < Grid.Times.Count; k++)
        {
            var state = Floats(trajectory.States[k]);
            var slope = Floats(trajectory.Slopes![k]);
            for (int i = 0; i < Z0.Length; i++)
            {
                Assert.Equal(state[i], host.States![k][i], 1e-4f * Math.Max(1f, Math.Abs(state[i])));
                Assert.Equal(slope[i], host.Slopes![k][i], 1e-4f * Math.Max(1f, Math.Abs(slope[i])));
            }
        }
        Assert.True(Math.Abs(final[0] - Z0[0]) > 0.05, "the flow hardly moved");
    }

    /// <summary>
    /// The host flow reuses its buffers: a solve of 201 grid points allocates no more than one of 9 (only the result
    /// and the solve's delegates, never per step), for both flows, once the buffers have grown.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_host_flow_allocates_nothing_per_step(bool nesterov)
    {
        long Allocated(int points)
        {
            var flow = new HostFlow(TimeGrid.From(new FlowOptions { Points = points, Tau = 6 }), nesterov, Eps);
            flow.Solve(HostField, Z0, keepPath: false);   // grows the buffers, compiles the loops
            long before = GC.GetAllocatedBytesForCurrentThread();
            flow.Solve(HostField, Z0, keepPath: false);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        long few = Allocated(9), many = Allocated(201);
        output.WriteLine($"nesterov {nesterov}: {few} bytes for 9 points, {many} for 201");
        Assert.True(many <= few, $"a solve of 201 points allocated {many} bytes, one of 9 points {few}");
    }
}
