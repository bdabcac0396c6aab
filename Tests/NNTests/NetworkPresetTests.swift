import NN
import XCTest

final class NetworkPresetTests: XCTestCase {
    /// MODELS.md's preset table.
    func testPresetTable() {
        XCTAssertEqual(NetworkPreset.all.map(\.name), ["xs", "s", "m"])
        let table = NetworkPreset.all.map { [$0.channels.0, $0.channels.1, $0.channels.2,
                                             $0.encoderChannels.0, $0.encoderChannels.1, $0.encoderChannels.2,
                                             $0.decoderBlocksPerLevel, $0.latentDim] }
        XCTAssertEqual(table, [[8, 16, 16, 8, 16, 16, 1, 16], [16, 32, 64, 16, 32, 64, 1, 32],
                               [64, 128, 128, 32, 64, 128, 2, 128]])
        XCTAssertEqual(NetworkPreset.named("s"), .s)
        XCTAssertNil(NetworkPreset.named("l"))
    }
}
