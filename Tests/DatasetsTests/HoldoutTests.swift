import Store
import XCTest
@testable import Datasets

/// `holdout` / `holdout_seed` / `part`: a validation part carved from the train split with a fixed
/// seed, and the images left to fit on.
final class HoldoutTests: DatasetTestCase {
    private var images = ""
    private var labels = ""
    private let count = 12

    override func setUpWithError() throws {
        try super.setUpWithError()
        images = try write(Fixture.idxImages(Fixture.pixels(count: count, height: 2, width: 2), count: count, height: 2, width: 2), to: "i")
        labels = try write(Fixture.idxLabels((0..<count).map { UInt8($0 % 4) }), to: "l")
    }

    private func request(subset: Int? = nil, holdout: Int? = nil, seed: UInt64 = 0, part: DatasetPart = .all) -> IngestRequest {
        IngestRequest(format: .idx, inputs: [images, labels], subsetSize: subset, subsetSeed: 2, holdout: holdout, holdoutSeed: seed,
                      part: part, classCount: 4)
    }

    /// The index in the whole split of every image of `part` (the fixture's images are distinct).
    private func sourceIndices(_ part: Dataset, in whole: Dataset) -> [Int] {
        let index = Dictionary(uniqueKeysWithValues: (0..<whole.count).map { (Array(whole.image($0)), $0) })
        return (0..<part.count).map { index[Array(part.image($0))]! }
    }

    func testFitAndHoldoutAreDisjointAndTogetherTheWholeSplit() throws {
        let whole = try Ingest.load(request())
        XCTAssertNil(whole.holdout)
        let fit = try Ingest.load(request(holdout: 5, seed: 9, part: .fit))
        let held = try Ingest.load(request(holdout: 5, seed: 9, part: .holdout))
        let (fitIndices, heldIndices) = (sourceIndices(fit, in: whole), sourceIndices(held, in: whole))
        XCTAssertEqual(heldIndices.count, 5)
        XCTAssertEqual(fitIndices.count, count - 5)
        XCTAssertTrue(Set(fitIndices).isDisjoint(with: heldIndices))
        XCTAssertEqual(Set(fitIndices).union(heldIndices), Set(0..<count))
        XCTAssertEqual(fitIndices, fitIndices.sorted(), "source order")
        XCTAssertEqual(heldIndices, heldIndices.sorted(), "source order")
        XCTAssertEqual(fit.labels, fitIndices.map { whole.labels![$0] })
        XCTAssertEqual(held.labels, heldIndices.map { whole.labels![$0] })
        XCTAssertEqual(fit.holdout, DatasetHoldout(count: 5, seed: 9, part: .fit))
        XCTAssertEqual(held.holdout, DatasetHoldout(count: 5, seed: 9, part: .holdout))
        XCTAssertEqual([fit.split, held.split], [.train, .train])
        XCTAssertEqual([whole.metricSplit, fit.metricSplit, held.metricSplit], ["train", "train", "validation"], "metrics on the held-out part say so")
    }

    func testSameSeedSamePartsAnotherSeedAnother() throws {
        let held = try Ingest.load(request(holdout: 4, seed: 3, part: .holdout))
        XCTAssertEqual(try Ingest.load(request(holdout: 4, seed: 3, part: .holdout)), held)
        XCTAssertEqual(try Ingest.load(request(holdout: 4, seed: 3, part: .fit)), try Ingest.load(request(holdout: 4, seed: 3, part: .fit)))
        let others = try (0..<8).map { try Ingest.load(request(holdout: 4, seed: UInt64(10 + $0), part: .holdout)).images }
        XCTAssertTrue(others.contains { $0 != held.images }, "the seed chooses the held-out images")
    }

    func testHoldoutIsCarvedFromTheSubset() throws {
        let subset = try Ingest.load(request(subset: 9))
        let fit = try Ingest.load(request(subset: 9, holdout: 3, seed: 1, part: .fit))
        let held = try Ingest.load(request(subset: 9, holdout: 3, seed: 1, part: .holdout))
        XCTAssertEqual([fit.count, held.count], [6, 3])
        XCTAssertEqual(Set(sourceIndices(fit, in: subset)).union(sourceIndices(held, in: subset)), Set(0..<9))
    }

    func testThePartAndItsProvenanceRoundTripThroughTheStore() throws {
        let store = try Store.open(folder + "/store.sqlite")
        defer { store.close() }
        let (held, artifact) = try Ingest.run(request(holdout: 4, seed: 6, part: .holdout), name: "validation", store: store)
        XCTAssertEqual(try DatasetArtifact.load(artifact, from: store), held)
        let document = try store.json(of: artifact.id)
        XCTAssertEqual(document["holdout"], 4)
        XCTAssertEqual(document["holdout_seed"], 6)
        XCTAssertEqual(document["part"], "holdout")
        let fit = try Ingest.run(request(holdout: 4, seed: 6, part: .fit), name: "fit", store: store).artifact
        XCTAssertNotEqual(fit.id, artifact.id)
        XCTAssertEqual(try store.json(of: fit.id)["part"], "fit")
    }

    /// Without a holdout the document has exactly the fields it had before holdouts existed, so a
    /// whole split keeps its artifact id.
    func testAWholeSplitDocumentHasNoHoldoutFields() throws {
        guard case .object(let fields) = DatasetArtifact.metadata(try Ingest.load(request())) else { return XCTFail("not an object") }
        XCTAssertEqual(Set(fields.keys), ["format", "count", "channels", "height", "width", "labelled", "class_names", "split",
                                          "source", "flippable"])
    }

    /// A malformed holdout record is refused with the artifact named, not read as a whole split.
    func testAMalformedHoldoutRecordIsRefused() throws {
        let store = try Store.open(folder + "/store.sqlite")
        defer { store.close() }
        var odd = try Ingest.load(request(holdout: 4, part: .holdout))
        odd.holdout?.part = .all  // the loader must not take this for a whole split
        let artifact = try DatasetArtifact.save(odd, name: "odd", in: store)
        XCTAssertThrowsError(try DatasetArtifact.load(artifact, from: store)) { error in
            XCTAssertTrue("\(error)".contains("bad holdout part \"all\""), "\(error)")
        }
    }
}
