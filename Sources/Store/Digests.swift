import Crypto

/// The address of a blob: the SHA-256 of its content, written `sha256-<64 hex digits>`.
public struct BlobAddress: Hashable, Codable, Sendable, CustomStringConvertible {
    public let hex: String

    public init(digest: SHA256.Digest) { hex = Hex.encode(digest) }

    /// Parses `sha256-<hex>`; nil if malformed.
    public init?(_ text: String) {
        guard text.hasPrefix("sha256-") else { return nil }
        let hex = String(text.dropFirst(7))
        guard Hex.isDigest(hex) else { return nil }
        self.hex = hex
    }

    public var description: String { "sha256-" + hex }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = BlobAddress(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a blob address: \(text)"))
        }
        self = parsed
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// The id of an artifact: 64 lowercase hex digits. Commands show and accept unique prefixes.
public struct ArtifactID: Hashable, Codable, Sendable, CustomStringConvertible {
    public let hex: String

    /// Parses a full 64-digit id; nil if malformed.
    public init?(_ text: String) {
        guard Hex.isDigest(text) else { return nil }
        hex = text
    }

    init(digest: SHA256.Digest) { hex = Hex.encode(digest) }

    public var description: String { hex }
    /// The first 12 digits, as listings show them.
    public var short: String { String(hex.prefix(12)) }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = ArtifactID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an artifact id: \(text)"))
        }
        self = parsed
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(hex)
    }
}

enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    static func encode<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func encode(_ digest: SHA256.Digest) -> String { digest.withUnsafeBytes { encode($0) } }

    static func isDigest(_ s: String) -> Bool { s.utf8.count == 64 && isLowercaseHex(s) }

    static func isLowercaseHex(_ s: String) -> Bool {
        s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    static func sha256(_ bytes: UnsafeRawBufferPointer) -> String { encode(SHA256.hash(data: bytes)) }
}
