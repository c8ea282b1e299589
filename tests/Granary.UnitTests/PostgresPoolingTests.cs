using Granary.Silo.Adapters.Storage;
using Npgsql;

namespace Granary.UnitTests;

public sealed class PostgresPoolingTests
{
    [Fact]
    public void Pooled_connections_are_not_reset_and_keep_statements_prepared()
    {
        var pooled = new NpgsqlConnectionStringBuilder(PostgresPooling.ConnectionString("Host=db;Database=granary;Maximum Pool Size=10"));

        Assert.True(pooled.NoResetOnClose);
        Assert.Equal(16, pooled.MaxAutoPrepare);
        Assert.Equal(2, pooled.AutoPrepareMinUsages);
        Assert.Equal("db", pooled.Host);
        Assert.Equal("granary", pooled.Database);
        Assert.Equal(10, pooled.MaxPoolSize);
    }

    [Theory]
    [InlineData("Host=db;No Reset On Close=false;Max Auto Prepare=0")]
    [InlineData("Host=db;noresetonclose=false;MaxAutoPrepare=0")]
    public void What_the_operator_set_wins(string given)
    {
        var pooled = new NpgsqlConnectionStringBuilder(PostgresPooling.ConnectionString(given));

        Assert.False(pooled.NoResetOnClose);
        Assert.Equal(0, pooled.MaxAutoPrepare);
    }
}
