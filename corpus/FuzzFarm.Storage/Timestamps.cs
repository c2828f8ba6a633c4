namespace FuzzFarm.Storage;

/// <summary>timestamptz takes only UTC values from Npgsql and returns UTC <see cref="DateTime"/>s.</summary>
internal static class Timestamps
{
    public static DateTime ToDb(DateTimeOffset value) => value.UtcDateTime;

    public static DateTimeOffset FromDb(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
