namespace Granary.Sessions;

/// <summary>
/// A session as its owner's index keeps it for lists: its view and its revision (counts its stored changes, so
/// the index keeps the newest of two views that cross on the way).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record IndexedSession(
    [property: Id(0)] SessionView View,
    [property: Id(1)] long Revision);
