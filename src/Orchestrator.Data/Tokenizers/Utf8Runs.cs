using System.Buffers;
using System.Text;

namespace Orchestrator.Data.Tokenizers;

/// <summary>A stretch of input bytes: valid UTF-8 text, or an invalid sequence (each of whose bytes is encoded on its own).</summary>
internal readonly record struct Utf8Run(int Start, int Length, bool IsValid);

/// <summary>
/// Cuts arbitrary bytes into maximal valid-UTF-8 runs and the invalid sequences between them. Byte-level tokenizers
/// hand the valid runs to the library (which encodes strings) and encode each invalid byte as its single-byte token,
/// which is what lets them round-trip any byte sequence exactly.
/// </summary>
internal static class Utf8Runs
{
    public static List<Utf8Run> Split(ReadOnlySpan<byte> bytes)
    {
        var runs = new List<Utf8Run>();
        int runStart = 0, i = 0;
        while (i < bytes.Length)
        {
            var status = Rune.DecodeFromUtf8(bytes[i..], out _, out int consumed);
            if (status == OperationStatus.Done)
            {
                i += consumed;
                continue;
            }

            if (i > runStart)
            {
                runs.Add(new Utf8Run(runStart, i - runStart, IsValid: true));
            }

            consumed = Math.Max(1, consumed);
            runs.Add(new Utf8Run(i, consumed, IsValid: false));
            i += consumed;
            runStart = i;
        }

        if (i > runStart)
        {
            runs.Add(new Utf8Run(runStart, i - runStart, IsValid: true));
        }

        return runs;
    }
}
