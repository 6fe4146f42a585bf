using Gravity.Usage.Internal;

namespace Gravity.Usage.Sql;

/// <summary>
/// The idempotency keys claimed so far in one batch, per (account, meter, key), so that a later call of the same batch
/// with the same key is judged in memory: a duplicate when its fingerprint matches the claiming call's, a conflict
/// when it does not.
/// </summary>
internal sealed class BatchKeys
{
    private Dictionary<KeyRef, int>? _owners;
    private List<(int Start, int Size, int Owner)>? _repeats;

    /// <summary>Gets the calls judged against an earlier call of the batch, with the index of a part of that call.</summary>
    public IReadOnlyList<(int Start, int Size, int Owner)> Repeats => _repeats ?? [];

    /// <summary>
    /// Judges the keyed call at <paramref name="start"/> against the calls that claimed keys earlier in the batch:
    /// <see langword="null"/> when none of its parts' keys was claimed, otherwise <see cref="UsageWriteStatus.Duplicate"/>
    /// (every part's key claimed by a call with a matching fingerprint) or <see cref="UsageWriteStatus.Conflict"/>.
    /// </summary>
    public UsageWriteStatus? JudgeRepeat(IReadOnlyList<UsageIncrement> increments, int start, int size)
    {
        if (_owners is null)
        {
            return null;
        }

        var owner = -1;
        var owned = 0;
        var matched = true;
        for (var k = start; k < start + size; k++)
        {
            var part = increments[k];
            if (_owners.TryGetValue(new KeyRef(part.Account, part.Meter, part.IdempotencyKey!), out var claimedBy))
            {
                owner = owner < 0 ? claimedBy : owner;
                owned++;
                matched &= IdempotencyFingerprint.Matches(increments[claimedBy].Fingerprint, part.Fingerprint);
            }
        }

        if (owned == 0)
        {
            return null;
        }

        (_repeats ??= []).Add((start, size, owner));
        return matched && owned == size ? UsageWriteStatus.Duplicate : UsageWriteStatus.Conflict;
    }

    /// <summary>Records that the call at <paramref name="start"/> holds its key for each of its parts' meters.</summary>
    public void Claim(IReadOnlyList<UsageIncrement> increments, int start, int size)
    {
        _owners ??= [];
        for (var k = start; k < start + size; k++)
        {
            _owners[new KeyRef(increments[k].Account, increments[k].Meter, increments[k].IdempotencyKey!)] = k;
        }
    }

    private readonly record struct KeyRef(string Account, string Meter, string Key);
}
