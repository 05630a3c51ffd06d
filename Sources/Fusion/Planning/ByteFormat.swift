import ByteUnits

/// Memory sizes in the planner's unsigned bytes, read and written exactly like the CLI's
/// `--memory-budget` (one parser, ``ByteSize``): `1.2GB` is decimal, `800MiB` binary, a bare
/// number is bytes.
public enum ByteFormat {
    /// The number of bytes `text` denotes, or nil when it is not a non-negative size below 2⁶³.
    public static func parse(_ text: String) -> UInt64? {
        ByteSize.parse(text).map { UInt64($0) }
    }

    /// A short form in binary units with one decimal where it matters: `800 MiB`, `1.5 GiB`, `512 B`.
    public static func string(_ bytes: UInt64) -> String {
        ByteSize.format(Int64(clamping: bytes))
    }
}
