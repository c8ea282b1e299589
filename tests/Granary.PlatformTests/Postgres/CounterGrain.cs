namespace Granary.PlatformTests.Postgres;

[GenerateSerializer]
public sealed class CounterState
{
    [Id(0)]
    public int Value { get; set; }
}

/// <summary>A grain with ADO.NET-persisted state and a durable reminder, for the provider tests.</summary>
public interface ICounterGrain : IGrainWithStringKey
{
    Task<int> Add(int amount);

    Task<int> Get();

    Task Clear();

    Task Remind();

    Task<bool> HasReminder();

    Task Forget();
}

public sealed class CounterGrain(
    [PersistentState("counter", OrleansPostgresHosts.StorageName)] IPersistentState<CounterState> state)
    : Grain, ICounterGrain, IRemindable
{
    private const string ReminderName = "tick";

    public async Task<int> Add(int amount)
    {
        state.State.Value += amount;
        await state.WriteStateAsync();
        return state.State.Value;
    }

    public Task<int> Get() => Task.FromResult(state.State.Value);

    public Task Clear() => state.ClearStateAsync();

    // Due far in the future: the test checks the reminder table, it does not wait for ticks.
    public Task Remind() =>
        this.RegisterOrUpdateReminder(ReminderName, TimeSpan.FromHours(1), TimeSpan.FromHours(1));

    public async Task<bool> HasReminder() => await this.GetReminder(ReminderName) is not null;

    public async Task Forget()
    {
        var reminder = await this.GetReminder(ReminderName)
            ?? throw new InvalidOperationException("No reminder to forget.");
        await this.UnregisterReminder(reminder);
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask;
}
