import ArrayFormats
import Foundation
import Store
import XCTest

/// Images, text, JSON, lookup and export: Artifacts.swift.
final class ArtifactsTests: StoreTestCase {
    func testImageTextAndJSONRoundTrip() throws {
        let store = try Store.open(storePath)
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 1, 2, 255]
        let image = try store.putImage(png, name: "samples.png", metadata: ["width": 28])
        let log = try store.putText("step 1 loss 0.5\nstep 2 loss 0.4\n", name: "train.log")
        let config: JSON = ["lr": 0.0001, "presets": ["s", "m"], "ema": true, "note": nil]
        let doc = try store.putJSON(config, name: "config")

        XCTAssertEqual(try store.content(of: image.id), png)
        XCTAssertEqual(image.kind, .image)
        XCTAssertEqual(image.mediaType, "image/png")
        XCTAssertEqual(image.metadata, ["width": 28])
        XCTAssertEqual(try store.text(of: log.id), "step 1 loss 0.5\nstep 2 loss 0.4\n")
        XCTAssertEqual(try store.json(of: doc.id), config)
        XCTAssertEqual(try store.artifacts().map(\.name), ["samples.png", "train.log", "config"])
        XCTAssertEqual(try store.artifacts(kind: .text).map(\.id), [log.id])

        try store.export(image.id, to: path("out.png"))
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: path("out.png")))), png)
        XCTAssertThrowsError(try store.text(of: image.id)) { XCTAssertTrue("\($0)".contains("is a image, not a text"), "\($0)") }
    }

    func testLookupByIdPrefixAndName() throws {
        let store = try Store.open(storePath)
        var made: [Artifact] = []
        for i in 0..<40 { made.append(try store.putText("text \(i)", name: "t\(i % 2)")) }
        let a = made[7]
        XCTAssertEqual(try store.resolve(a.id.hex), a)
        XCTAssertEqual(try store.resolve(String(a.id.hex.prefix(10))), a)
        XCTAssertEqual(try store.resolve(a.id.hex.uppercased()), a)
        XCTAssertEqual(try store.resolve("t1").id, made[39].id, "a name resolves to the newest artifact with it")
        // With 40 ids, some one-digit prefix is shared by several.
        let firstDigits = Dictionary(grouping: made, by: { $0.id.hex.prefix(1) })
        let shared = try XCTUnwrap(firstDigits.first { $0.value.count > 1 }?.key)
        XCTAssertThrowsError(try store.resolve(String(shared))) { XCTAssertTrue("\($0)".contains("ambiguous"), "\($0)") }
        XCTAssertThrowsError(try store.resolve("no-such-thing")) { XCTAssertTrue("\($0)".contains("no artifact matches"), "\($0)") }
    }

    func testCommandsListShowExportImport() throws {
        for command in [["ls"], ["show", "x"], ["export", "x", "--out", path("x.npy")], ["fsck"], ["metrics"], ["log", "train"],
                        ["runs"], ["metrics", "--diff", "1", "2"], ["metrics", "--history", "loss"]] {
            let result = try runLZNPipe(command)
            XCTAssertNotEqual(result.status, 0, "\(command)")
            XCTAssertTrue(result.output.contains("no store at \(storePath)"), "\(command): \(result.output)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: storePath), "a command that only reads must not create the store")

        let a = NDArray(float32: [1, 2, 3, 4, 5, 6], shape: [2, 3])
        try NPY.write(a, to: path("a.npy"))
        let imported = try runLZNPipe(["import", path("a.npy"), "--name", "weights"])
        XCTAssertEqual(imported.status, 0, imported.output)
        let id = imported.output.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(id.count, 64)

        let ls = try runLZNPipe(["ls", "--kind", "tensor"])
        XCTAssertTrue(ls.output.contains(String(id.prefix(12))) && ls.output.contains("float32 [2, 3]"), ls.output)
        let show = try runLZNPipe(["show", String(id.prefix(8))])
        XCTAssertTrue(show.output.contains("name:        weights"), show.output)
        let export = try runLZNPipe(["export", "weights", "--out", path("b.npy")])
        XCTAssertEqual(export.status, 0, export.output)
        XCTAssertEqual(try NPY.read(contentsOf: path("b.npy")), a)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("b.npy"))), try Data(contentsOf: URL(fileURLWithPath: path("a.npy"))))

        try Data("not numpy".utf8).write(to: URL(fileURLWithPath: path("bad.npy")))
        let bad = try runLZNPipe(["import", path("bad.npy"), "--name", "x"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.output.contains("bad.npy: not a .npy file"), bad.output)
        let missing = try runLZNPipe(["show", "nothing"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.output.contains("no artifact matches 'nothing'"), missing.output)
    }
}
