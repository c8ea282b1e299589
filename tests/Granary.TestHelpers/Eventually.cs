namespace Granary.ClusterTests;

/// <summary>Polls a condition until it holds; the deadline is generous because it is not what is tested.</summary>
public static class Eventually
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

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
