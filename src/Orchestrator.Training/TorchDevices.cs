using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace Orchestrator.Training;

/// <summary>Turns the <c>device</c> option into a TorchSharp device, failing early when CUDA was asked for but is absent.</summary>
public static partial class TorchDevices
{
    [GeneratedRegex("^(cpu|cuda(:[0-9]+)?)$")]
    private static partial Regex DevicePattern();

    public static bool IsWellFormed(string device) => DevicePattern().IsMatch(device);

    /// <summary>Parses <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>; throws <see cref="InvalidRunConfigException"/> when the device is not usable here.</summary>
    public static Device Parse(string device)
    {
        if (!IsWellFormed(device))
            throw new InvalidRunConfigException($"device '{device}' is not recognised: use cpu, cuda or cuda:N");
        if (device == "cpu") return CPU;
        if (!cuda.is_available())
            throw new InvalidRunConfigException($"device '{device}' was requested but CUDA is not available: build with -p:TorchBackend=cuda on a GPU machine or use device cpu");
        var index = device.Length > 5 ? int.Parse(device[5..], System.Globalization.CultureInfo.InvariantCulture) : 0;
        if (index >= cuda.device_count())
            throw new InvalidRunConfigException($"device '{device}' does not exist: this machine has {cuda.device_count()} CUDA device(s)");
        return torch.device(DeviceType.CUDA, index);
    }
}
