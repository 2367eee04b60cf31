using System.Security.Cryptography;
using System.Text;
using Gfe.Engine.Runs;
using Xunit;

namespace Gfe.Tests.Engine;

/// <summary>The device setting (any | gpu) added after run keys were first handed out.</summary>
public sealed class RunDeviceSettingTests
{
    [Fact]
    public void A_run_that_leaves_the_device_at_its_default_keeps_the_key_it_had_before_the_setting_existed()
    {
        var config = RunParameters.FromDictionary(new Dictionary<string, string>
        {
            ["method"] = "ae", ["trainSize"] = "960", ["seed"] = "3", ["lr"] = "0.01",
            ["amd.kernel"] = "torch",   // the computation keys named before amd.kernel existed (its default is now auto)
        });

        Assert.Equal(KeyWithoutDeviceSetting(config), RunKey.For(config));
        Assert.Equal(RunKey.For(config), RunKey.For(RunParameters.Apply(config, "runsOn", "any")));
    }

    [Fact]
    public void A_run_that_needs_a_gpu_has_a_key_of_its_own()
    {
        var config = new RunConfig();
        var onGpu = RunParameters.Apply(config, "runsOn", "GPU");

        Assert.Equal(RunDevice.Gpu, onGpu.RunsOn);
        Assert.NotEqual(RunKey.For(config), RunKey.For(onGpu));
        Assert.StartsWith("gfe-amd.mnist.n480.s0.", RunKey.For(onGpu));
    }

    [Fact]
    public void A_device_that_is_not_any_or_gpu_is_refused_naming_the_setting()
    {
        var e = Assert.Throws<RunConfigException>(() => RunParameters.Apply(new RunConfig(), "runsOn", "tpu"));

        Assert.Contains("'runsOn' must be one of any, gpu, not 'tpu'", e.Message);
    }

    /// <summary>The key as it was computed before the device setting existed: a hash of every other setting in table
    /// order.</summary>
    /// <summary>Every setting added after run keys were first handed out (each omitted from keys at its default).</summary>
    internal static readonly string[] SettingsNewerThanKeys = ["amd.kernel", "amd.perSampleToleranceScale", "runsOn", "latentDim", "hidden", "activation", "loss", "latents", "flow.kernel", "adjoint.kernel"];

    /// <summary>The key that the quick sweep's GFE-amd MNIST run had when results were first written
    /// (results/quick/runs.csv of 24 Nov 2026), on the torch AMD kernel that computed them: settings added since must
    /// not change it. Since amd.kernel defaults to auto (native on CPU), that computation is amd.kernel: torch, and the
    /// default config, which now computes something else, has a key of its own.</summary>
    [Fact]
    public void The_quick_sweeps_run_keeps_its_first_key()
    {
        var settings = new Dictionary<string, string>
        {
            ["method"] = "gfe-amd", ["dataset"] = "mnist", ["trainSize"] = "480", ["seed"] = "0",
            ["testSize"] = "1000", ["batchSize"] = "16", ["testBatchSize"] = "16",
        };
        var onAuto = RunParameters.FromDictionary(settings);
        settings["amd.kernel"] = "torch";

        Assert.Equal("gfe-amd.mnist.n480.s0.9af0d0f0c0", RunKey.For(RunParameters.FromDictionary(settings)));
        Assert.NotEqual("gfe-amd.mnist.n480.s0.9af0d0f0c0", RunKey.For(onAuto));
    }

    static string KeyWithoutDeviceSetting(RunConfig config)
    {
        var canonical = string.Join("\n", RunParameters.ToList(config).Where(kv => !SettingsNewerThanKeys.Contains(kv.Key)).Select(kv => $"{kv.Key}={kv.Value}"));
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..10];
        return $"{RunParameters.MethodName(config.Method)}.{config.Dataset}.n{config.TrainSize}.s{config.Seed}.{hash}";
    }
}
