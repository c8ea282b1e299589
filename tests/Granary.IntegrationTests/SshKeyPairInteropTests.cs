using Granary.Agents.Launch;

namespace Granary.IntegrationTests;

/// <summary>The session key pair against the real OpenSSH tools (openssh-client on the host).</summary>
public sealed class SshKeyPairInteropTests
{
    [Fact]
    public async Task OpenSSH_reads_the_private_key_and_derives_the_same_public_key()
    {
        var pair = SshKeyPair.Generate();
        var folder = Directory.CreateTempSubdirectory("granary-keytest-");
        try
        {
            var keyFile = Path.Combine(folder.FullName, "id_container");
            await File.WriteAllTextAsync(keyFile, pair.PrivateKey);
            File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

            var derived = Tool.Run("ssh-keygen", ["-y", "-f", keyFile]).EnsureSuccess().Output.Trim();

            Assert.Equal(string.Join(' ', pair.PublicKey.Split(' ')[..2]), string.Join(' ', derived.Split(' ')[..2]));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
