namespace Granary.Gateway.Http;

/// <summary>Query-string values parsed by hand so that a bad one is a field-named 400, not an empty one.</summary>
public static class QueryValues
{
    public static bool TryParseFlag(string? text, out bool value)
    {
        switch (text?.ToLowerInvariant())
        {
            case null or "" or "false" or "0":
                value = false;
                return true;
            case "true" or "1":
                value = true;
                return true;
            default:
                value = false;
                return false;
        }
    }

    public static bool TryParseInt(string? text, int fallback, int min, int max, out int value)
    {
        if (string.IsNullOrEmpty(text))
        {
            value = fallback;
            return true;
        }

        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value)
               && value >= min && value <= max;
    }
}
