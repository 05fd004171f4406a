using System.Security.Cryptography;
using System.Text;
using TransferHub.Shared.Common;

namespace TransferHub.Web.Features.Workers;

/// <summary>
/// The embedded worker's credential: random per server process, handed to the child in its environment, never stored
/// or logged. It authenticates as a worker token does (the Worker role only) and dies with the process.
/// </summary>
public sealed class EmbeddedWorkerSecret
{
    public const string WorkerName = "embedded worker";

    /// <summary>The name identifier of its principal: the worker hub registers it as the embedded kind.</summary>
    public const string PrincipalId = "worker:embedded";

    public string Value { get; } = Names.WorkerTokenPrefix + Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();

    public bool Matches(string candidate) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(candidate), Encoding.UTF8.GetBytes(Value));
}
