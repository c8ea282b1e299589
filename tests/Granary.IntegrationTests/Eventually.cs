namespace Granary.IntegrationTests;

/// <summary>Polls until a condition holds. The deadline is generous (containers, services and silos start on a busy
/// machine) because the time is not what is tested. A failing attempt counts as "not yet"; the last failure is
/// reported if the deadline passes.</summary>
public static class Eventually
{
    public static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    public static async Task True(Func<Task<bool>> condition, string what)
        => await Value(condition, ok => ok, what);

    public static async Task<T> Value<T>(Func<Task<T>> read, Func<T, bool> accept, string what)
    {
        var until = DateTime.UtcNow + Deadline;
        Exception? lastFailure = null;
        var last = default(T);
        while (true)
        {
            try
            {
                last = await read();
                if (accept(last))
                    return last;
            }
            catch (Exception exception)
            {
                lastFailure = exception;
            }
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"Still not true after {Deadline}: {what}; last value: {last}.", lastFailure);
            await Task.Delay(100);
        }
    }
}
