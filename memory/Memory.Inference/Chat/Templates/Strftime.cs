using System.Globalization;
using System.Text;

namespace Memory.Inference.Chat.Templates;

/// <summary>
/// Python's <c>datetime.now().strftime(format)</c> on Linux (glibc, C locale), which is what Hugging Face's
/// <c>strftime_now</c> global runs: the usual directives, glibc's <c>-</c> (no padding), <c>_</c> (space padding) and
/// <c>^</c> (upper case) flags, and empty <c>%z</c>/<c>%Z</c> because <c>datetime.now()</c> is naive.
/// </summary>
internal static class Strftime
{
    private static readonly string[] Days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

    private static readonly string[] Months =
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    public static string Format(DateTime time, string format)
    {
        var builder = new StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c != '%' || i + 1 >= format.Length)
            {
                builder.Append(c);
                continue;
            }

            char flag = '\0';
            int j = i + 1;
            if (format[j] is '-' or '_' or '^' or '0' or '#' && j + 1 < format.Length)
            {
                flag = format[j];
                j++;
            }

            char directive = format[j];
            string? text = Directive(time, directive, flag);
            if (text is null)
            {
                builder.Append(format, i, j - i + 1);
            }
            else
            {
                builder.Append(flag == '^' ? text.ToUpperInvariant() : text);
            }

            i = j;
        }

        return builder.ToString();
    }

    private static string? Directive(DateTime t, char directive, char flag)
    {
        string Number(int value, int width, char pad = '0')
        {
            string digits = value.ToString(CultureInfo.InvariantCulture);
            return flag switch
            {
                '-' => digits,
                '_' => digits.PadLeft(width, ' '),
                '0' => digits.PadLeft(width, '0'),
                _ => digits.PadLeft(width, pad),
            };
        }

        int hour12 = t.Hour % 12 == 0 ? 12 : t.Hour % 12;
        return directive switch
        {
            'a' => Days[(int)t.DayOfWeek][..3],
            'A' => Days[(int)t.DayOfWeek],
            'b' or 'h' => Months[t.Month - 1][..3],
            'B' => Months[t.Month - 1],
            'c' => $"{Days[(int)t.DayOfWeek][..3]} {Months[t.Month - 1][..3]} {t.Day,2} {t:HH:mm:ss} {t.Year}",
            'C' => Number(t.Year / 100, 2),
            'd' => Number(t.Day, 2),
            'D' => t.ToString("MM/dd/yy", CultureInfo.InvariantCulture),
            'e' => Number(t.Day, 2, ' '),
            'f' => (t.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", CultureInfo.InvariantCulture),
            'F' => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            'G' => Number(ISOWeek.GetYear(t), 4),
            'g' => Number(ISOWeek.GetYear(t) % 100, 2),
            'H' => Number(t.Hour, 2),
            'I' => Number(hour12, 2),
            'j' => Number(t.DayOfYear, 3),
            'k' => Number(t.Hour, 2, ' '),
            'l' => Number(hour12, 2, ' '),
            'm' => Number(t.Month, 2),
            'M' => Number(t.Minute, 2),
            'n' => "\n",
            'p' => t.Hour < 12 ? "AM" : "PM",
            'P' => t.Hour < 12 ? "am" : "pm",
            'r' => $"{hour12:00}:{t:mm:ss} {(t.Hour < 12 ? "AM" : "PM")}",
            'R' => t.ToString("HH:mm", CultureInfo.InvariantCulture),
            'S' => Number(t.Second, 2),
            't' => "\t",
            'T' => t.ToString("HH:mm:ss", CultureInfo.InvariantCulture),
            'u' => Number(t.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)t.DayOfWeek, 1),
            'U' => Number((t.DayOfYear + 6 - (int)t.DayOfWeek) / 7, 2),
            'V' => Number(ISOWeek.GetWeekOfYear(t), 2),
            'w' => Number((int)t.DayOfWeek, 1),
            'W' => Number((t.DayOfYear + 6 - (((int)t.DayOfWeek + 6) % 7)) / 7, 2),
            'x' => t.ToString("MM/dd/yy", CultureInfo.InvariantCulture),
            'X' => t.ToString("HH:mm:ss", CultureInfo.InvariantCulture),
            'y' => Number(t.Year % 100, 2),
            'Y' => flag == '\0' ? t.Year.ToString(CultureInfo.InvariantCulture) : Number(t.Year, 4),
            'z' or 'Z' => "",
            '%' => "%",
            _ => null,
        };
    }
}
