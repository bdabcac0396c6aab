/// uint8 images between the channels-first layout the project stores (`[N, C, H, W]`) and the
/// interleaved one of image files and codecs (`[N, H, W, C]`); N follows from the buffer's length.
public enum PixelLayout {
    /// `[N, H·W, C]` → `[N, C, H·W]`.
    public static func channelsFirst(_ interleaved: UnsafeBufferPointer<UInt8>, channels: Int, plane: Int) -> [UInt8] {
        transposingEachImage(interleaved, rows: plane, columns: channels)
    }

    /// `[N, C, H·W]` → `[N, H·W, C]`.
    public static func interleaved(_ channelsFirst: UnsafeBufferPointer<UInt8>, channels: Int, plane: Int) -> [UInt8] {
        transposingEachImage(channelsFirst, rows: channels, columns: plane)
    }

    /// Every consecutive `rows × columns` block of `source` transposed to `columns × rows`.
    private static func transposingEachImage(_ source: UnsafeBufferPointer<UInt8>, rows: Int, columns: Int) -> [UInt8] {
        let block = rows * columns
        guard block > 0, rows > 1, columns > 1 else { return Array(source) }
        precondition(source.count % block == 0, "PixelLayout: \(source.count) bytes are not whole images of \(rows)×\(columns)")
        var out = [UInt8](repeating: 0, count: source.count)
        out.withUnsafeMutableBufferPointer { dst in
            for base in stride(from: 0, to: source.count, by: block) {
                for r in 0..<rows {
                    for c in 0..<columns { dst[base + c * rows + r] = source[base + r * columns + c] }
                }
            }
        }
        return out
    }
}
