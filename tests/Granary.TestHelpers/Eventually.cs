namespace Granary.TestHelpers;

/// <summary>Polls a condition until it holds. The deadline is generous (containers, services and silos start on a
/// busy machine) because the time is not what is tested. A condition that throws fails at once: an exception is an
/// answer, not a "not yet" (a condition that can legitimately fail before it holds must say so itself).</summary>
public static class Eventually
{
    public static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    public static async Task True(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow + Deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"Still not true after {Deadline}: {what}.");
            }
            await Task.Delay(50);
        }
    }

    public static async Task<T> Value<T>(Func<Task<T>> read, Func<T, bool> accept, string what)
    {
        var until = DateTime.UtcNow + Deadline;
        while (true)
        {
            var value = await read();
            if (accept(value))
            {
                return value;
            }
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"Still not true after {Deadline}: {what}; last value: {value}.");
            }
            await Task.Delay(50);
        }
    }
}
