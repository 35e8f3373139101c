using System.Text.RegularExpressions;
using Memory.Conversations.Extraction;

namespace Memory.Conversations.Consolidation;

/// <summary>
/// The guard on DELETE: a memory is deleted only when a message the forget request came from, written by
/// someone other than the assistant, actually asks to forget, delete or remove something. A model that
/// answers DELETE for a mere contradiction (Mem0's most reported way of losing facts) is overruled.
/// </summary>
public static partial class ForgetIntent
{
    private static readonly HashSet<string> MachineRoles = new(StringComparer.OrdinalIgnoreCase) { "assistant", "system", "tool", "function", "developer" };

    public static bool IsAskedIn(IEnumerable<LabelledMessage> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        return sources.Any(s => !MachineRoles.Contains(s.Message.Role.Trim()) && Cue().IsMatch(s.Message.Content));
    }

    [GeneratedRegex(
        @"\b(?:forget|forgets|forgotten|delete|erase|remove|wipe|(?:don't|do\s+not|stop)\s+(?:remember|remembering|keep|keeping|store|storing))\b",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Cue();
}
