using System.Diagnostics;

namespace Orchestrator.Cli.Embedded;

/// <summary>How to start this same CLI again as a child process, whether it runs as <c>dotnet orchestrator.dll</c> or as an apphost.</summary>
internal static class SelfInvocation
{
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this process's executable to start workers");
        var info = new ProcessStartInfo(host);
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            info.ArgumentList.Add(typeof(SelfInvocation).Assembly.Location);
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        return info;
    }
}
