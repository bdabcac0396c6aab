import ArrayFormats
import Crypto
import Foundation

public enum ArtifactKind: String, Codable, Sendable, CaseIterable {
    case tensor, bundle, dataset, image, text, json
}

/// An immutable, typed artifact (one row of `artifacts`).
public struct Artifact: Equatable, Sendable {
    public let id: ArtifactID
    public let kind: ArtifactKind
    public let name: String
    public let blob: BlobAddress
    /// Size of the blob in bytes (for bundles: of the JSON document only).
    public let size: Int
    public let mediaType: String
    public let dtype: DType?
    public let shape: [Int]?
    public let metadata: JSON
    public let createdAt: String

    /// How errors and listings name it: `name (short id)`.
    public var label: String { "\(name) (\(id.short))" }
}

/// A tensor member of a bundle or dataset.
public struct BundleMember: Equatable, Sendable {
    public let name: String
    public let blob: BlobAddress
    public let dtype: DType
    public let shape: [Int]
}

/// A member staged for registration.
struct StagedMember {
    let name: String
    let blob: StagedBlob
    let dtype: DType
    let shape: [Int]
}

extension Store {
    static let artifactColumns = """
        a.id, a.kind, a.name, a.blob, b.size, a.media_type, a.dtype, a.shape, a.metadata, a.created_at
        """

    /// The artifact in the `artifactColumns` starting at column `first`.
    func artifactRow(_ s: Statement, from first: Int32 = 0) throws -> Artifact {
        let id = s.text(first), blob = s.text(first + 3)
        guard let artifactID = ArtifactID(id), let kind = ArtifactKind(rawValue: s.text(first + 1)),
              let address = BlobAddress(blob) else {
            throw StoreError.notAStore(store: path, reason: "malformed artifact row \(id)")
        }
        let shape = try s.optionalText(first + 7).map { try JSON(parsing: $0).arrayValue?.compactMap(\.intValue) ?? [] }
        return Artifact(id: artifactID, kind: kind, name: s.text(first + 2), blob: address, size: Int(s.int(first + 4)),
                        mediaType: s.text(first + 5), dtype: s.optionalText(first + 6).flatMap(DType.init(rawValue:)),
                        shape: shape, metadata: (try? JSON(parsing: s.text(first + 8))) ?? .null, createdAt: s.text(first + 9))
    }

    /// Registers an artifact over staged content in one transaction: blob rows, the artifact row and
    /// bundle members. Identical registrations give the same id and store nothing new.
    func registerArtifact(kind: ArtifactKind, name: String, content: StagedBlob, mediaType: String,
                          tensor: (DType, [Int])? = nil, metadata: JSON, members: [StagedMember] = []) throws -> Artifact {
        let shapeText = tensor.map { JSON.array($0.1.map { .number(Double($0)) }).text }
        let sortedMembers = members.sorted { $0.name < $1.name }
        let identity: JSON = [
            "kind": .string(kind.rawValue), "name": .string(name), "blob": .string(content.address.description),
            "media_type": .string(mediaType), "metadata": metadata,
            "members": .array(sortedMembers.map {
                ["name": .string($0.name), "blob": .string($0.blob.address.description),
                 "dtype": .string($0.dtype.rawValue), "shape": .array($0.shape.map { .number(Double($0)) })]
            }),
        ]
        let id = ArtifactID(digest: SHA256.hash(data: Data(identity.text.utf8)))
        return try db.immediateTransaction {
            try register(content)
            for member in sortedMembers { try register(member.blob) }
            try db.run("""
                INSERT OR IGNORE INTO artifacts (id, kind, name, blob, media_type, dtype, shape, metadata)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(id.hex), .text(kind.rawValue), .text(name), .text(content.address.description),
                      .text(mediaType), .optional(tensor?.0.rawValue), .optional(shapeText), .text(metadata.text)])
            for member in sortedMembers {
                try db.run("""
                    INSERT OR IGNORE INTO bundle_members (artifact, name, blob, dtype, shape) VALUES (?, ?, ?, ?, ?)
                    """, [.text(id.hex), .text(member.name), .text(member.blob.address.description),
                          .text(member.dtype.rawValue), .text(JSON.array(member.shape.map { .number(Double($0)) }).text)])
            }
            return try artifact(id)
        }
    }

    /// The artifact with this full id.
    public func artifact(_ id: ArtifactID) throws -> Artifact {
        guard let a = try db.queryOne("""
            SELECT \(Store.artifactColumns) FROM artifacts AS a JOIN blobs AS b ON b.address = a.blob WHERE a.id = ?
            """, [.text(id.hex)], row: { try artifactRow($0) }) else { throw StoreError.artifactNotFound(id.hex) }
        return a
    }

    /// Finds an artifact by full id, unique id prefix (git-style), or else by name (the newest with it).
    public func resolve(_ reference: String) throws -> Artifact {
        let ref = reference.lowercased()
        if !ref.isEmpty, Hex.isLowercaseHex(ref) {
            let ids = try db.query("SELECT id FROM artifacts WHERE id >= ? AND id < ? ORDER BY id LIMIT 6",
                                   [.text(ref), .text(ref + "g")]) { $0.text(0) }
            if ids.count == 1, let id = ArtifactID(ids[0]) { return try artifact(id) }
            if ids.count > 1 {
                throw StoreError.ambiguousArtifact(prefix: reference, candidates: ids.map { String($0.prefix(12)) })
            }
        }
        guard let a = try db.queryOne("""
            SELECT \(Store.artifactColumns) FROM artifacts AS a JOIN blobs AS b ON b.address = a.blob
            WHERE a.name = ? ORDER BY a.created_at DESC, a.rowid DESC LIMIT 1
            """, [.text(reference)], row: { try artifactRow($0) }) else { throw StoreError.artifactNotFound(reference) }
        return a
    }

    /// All artifacts, oldest first, optionally of one kind.
    public func artifacts(kind: ArtifactKind? = nil) throws -> [Artifact] {
        try db.query("""
            SELECT \(Store.artifactColumns) FROM artifacts AS a JOIN blobs AS b ON b.address = a.blob
            WHERE ?1 IS NULL OR a.kind = ?1 ORDER BY a.created_at, a.rowid
            """, [.optional(kind?.rawValue)], row: { try artifactRow($0) })
    }

    // MARK: Images, text, JSON

    /// Stores encoded image bytes (`mediaType` e.g. image/png).
    public func putImage(_ bytes: [UInt8], name: String, mediaType: String = "image/png", metadata: JSON = [:]) throws -> Artifact {
        try putContent(bytes, kind: .image, name: name, mediaType: mediaType, metadata: metadata)
    }

    /// Stores UTF-8 text (logs, reports; `mediaType` e.g. text/plain or text/html).
    public func putText(_ text: String, name: String, mediaType: String = "text/plain", metadata: JSON = [:]) throws -> Artifact {
        try putContent(Array(text.utf8), kind: .text, name: name, mediaType: mediaType, metadata: metadata)
    }

    /// Stores a JSON document.
    public func putJSON(_ value: JSON, name: String, metadata: JSON = [:]) throws -> Artifact {
        try putContent(Array(value.text.utf8), kind: .json, name: name, mediaType: "application/json", metadata: metadata)
    }

    private func putContent(_ bytes: [UInt8], kind: ArtifactKind, name: String, mediaType: String, metadata: JSON) throws -> Artifact {
        return try registerArtifact(kind: kind, name: name, content: try stage(bytes), mediaType: mediaType, metadata: metadata)
    }

    /// The raw content of any artifact (for bundles and datasets: their JSON document), verified.
    public func content(of id: ArtifactID) throws -> [UInt8] {
        let a = try artifact(id)
        return try readBlob(a.blob, artifact: a.label)
    }

    /// The text of a text or json artifact.
    public func text(of id: ArtifactID) throws -> String {
        let a = try artifact(id)
        guard a.kind == .text || a.kind == .json else {
            throw StoreError.wrongKind(artifact: a.label, expected: "text", actual: a.kind.rawValue)
        }
        return String(decoding: try readBlob(a.blob, artifact: a.label), as: UTF8.self)
    }

    /// The document of a json, bundle or dataset artifact.
    public func json(of id: ArtifactID) throws -> JSON {
        let a = try artifact(id)
        guard [.json, .bundle, .dataset].contains(a.kind) else {
            throw StoreError.wrongKind(artifact: a.label, expected: "json", actual: a.kind.rawValue)
        }
        let bytes = try readBlob(a.blob, artifact: a.label)
        do {
            return try JSON(parsing: String(decoding: bytes, as: UTF8.self))
        } catch {
            throw StoreError.corruptBlob(address: a.blob, artifact: a.label, detail: "not valid JSON")
        }
    }

    /// Writes an artifact to a file: tensors as `.npy`, images/text/json as their bytes, bundles and
    /// datasets as their JSON document, or one member as `.npy` when `member` is given.
    public func export(_ id: ArtifactID, member: String? = nil, to path: String) throws {
        let a = try artifact(id)
        if let member {
            guard let m = try bundleMembers(id).first(where: { $0.name == member }) else {
                throw StoreError.memberNotFound(artifact: a.label, member: member)
            }
            try writeBlob(m.blob, artifact: "\(a.label) member \(member)", to: path)
        } else {
            try writeBlob(a.blob, artifact: a.label, to: path)
        }
    }
}
