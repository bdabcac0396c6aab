import Crypto

/// What a stage run's result depends on, and nothing else: the executable's identity (name and
/// the implementation version it reports with `--describe`), the canonical parameters (all
/// declared parameters, typed, keys sorted) and the content addresses of the input artifacts.
/// The pipeline's stage name is not part of it, so identical work is shared across stages.
public struct StageSignature: Equatable, Sendable {
    public static let schemaVersion = 1

    public var executable: String
    public var version: String
    public var params: [String: ParamValue]
    public var inputs: [String: String]

    public init(executable: String, version: String, params: [String: ParamValue], inputs: [String: String]) {
        self.executable = executable; self.version = version; self.params = params; self.inputs = inputs
    }

    /// The signature of running `description` with `params` (all declared, resolved) on `inputs`
    /// (artifact ids): launcher parameters count only where they differ from their defaults.
    public init(_ description: StageDescription, params: [String: ParamValue], inputs: [String: String]) {
        self.init(executable: description.name, version: description.version,
                  params: description.signatureParams(params), inputs: inputs)
    }

    /// The exact bytes that are hashed.
    public var canonicalText: String {
        CanonicalJSON.object([
            "schema": String(Self.schemaVersion),
            "executable": CanonicalJSON.quote(executable),
            "version": CanonicalJSON.quote(version),
            "params": CanonicalJSON.params(params),
            "inputs": CanonicalJSON.object(inputs.mapValues(CanonicalJSON.quote)),
        ])
    }

    /// `sha256-<hex>` of the canonical text.
    public var digest: String {
        "sha256-" + SHA256.hash(data: Array(canonicalText.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
