namespace Granary.ClusterProcessTests;

/// <summary>Polls a condition until it holds. The deadline is generous (processes on a shared, loaded machine) because
/// it is not what is tested; what must be fast is measured and asserted where it matters.</summary>
public static class Eventually
{
    public static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);

    public static async Task True(Func<Task<bool>> condition, string what) =>
        await Value(condition, ok => ok, what);

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
            await Task.Delay(200);
        }
    }
}
