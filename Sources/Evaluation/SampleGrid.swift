// Tiling sample images into one labelled grid picture (the PNG artifact of lzn-generate), and the
// uint8 quantisation of §6 that every generated image goes through.

/// round(clip(255·(x+1)/2, 0, 255)) of images in [−1, 1] (LZN-ALGORITHM.md §6).
public func quantizeImages(_ x: UnsafeBufferPointer<Float>) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: x.count)
    out.withUnsafeMutableBufferPointer { o in
        for i in 0..<x.count {
            let v = 127.5 * (x[i] + 1)
            // NaN compares false everywhere and lands on 0.
            o[i] = v >= 255 ? 255 : (v > 0 ? UInt8((v).rounded(.toNearestOrEven)) : 0)
        }
    }
    return out
}

public func quantizeImages(_ x: [Float]) -> [UInt8] {
    x.withUnsafeBufferPointer { quantizeImages($0) }
}

/// A channels-first uint8 picture `channels × height × width`.
public struct GridImage: Equatable, Sendable {
    public let channels: Int
    public let height: Int
    public let width: Int
    public var pixels: [UInt8]
}

public enum SampleGrid {
    /// Lays out `count` uint8 images `[count, channels, height, width]` in rows of `columns`, with a
    /// 1-pixel gap, on a mid-grey background. When `rowLabels` is given (one per row, e.g. the class
    /// index), each row starts with the label drawn in a 3×5 pixel font (digits, letters, space).
    public static func make(images: [UInt8], count: Int, channels: Int, height: Int, width: Int,
                            columns: Int, rowLabels: [String]? = nil) throws -> GridImage {
        guard count >= 1, channels == 1 || channels == 3, height >= 1, width >= 1, columns >= 1 else {
            throw EvaluationError.invalidInput(context: "sample grid", detail: "need ≥ 1 image of 1 or 3 channels and ≥ 1 column, got \(count)×\(channels)×\(height)×\(width), \(columns) columns")
        }
        guard images.count == count * channels * height * width else {
            throw EvaluationError.invalidInput(context: "sample grid", detail: "\(images.count) bytes for \(count) images of \(channels)×\(height)×\(width)")
        }
        let rows = (count + columns - 1) / columns
        if let labels = rowLabels, labels.count != rows {
            throw EvaluationError.invalidInput(context: "sample grid", detail: "\(labels.count) row labels for \(rows) rows")
        }
        let labelWidth = rowLabels.map { labels in (labels.map(\.count).max() ?? 0) * 4 + 2 } ?? 0
        let gridWidth = labelWidth + columns * (width + 1) + 1
        let gridHeight = rows * (height + 1) + 1
        var grid = GridImage(channels: channels, height: gridHeight, width: gridWidth,
                             pixels: [UInt8](repeating: 128, count: channels * gridHeight * gridWidth))
        grid.pixels.withUnsafeMutableBufferPointer { out in
            images.withUnsafeBufferPointer { src in
                for index in 0..<count {
                    let top = 1 + (index / columns) * (height + 1)
                    let left = labelWidth + 1 + (index % columns) * (width + 1)
                    for c in 0..<channels {
                        for y in 0..<height {
                            let from = ((index * channels + c) * height + y) * width
                            let to = (c * gridHeight + top + y) * gridWidth + left
                            for x in 0..<width { out[to + x] = src[from + x] }
                        }
                    }
                }
            }
        }
        if let labels = rowLabels {
            for (row, label) in labels.enumerated() {
                let top = 1 + row * (height + 1) + max(0, (height - 5) / 2)
                TinyFont.draw(label, into: &grid, left: 1, top: top)
            }
        }
        return grid
    }
}

/// A 3×5 bitmap font: enough to write class indices and short names into a grid.
enum TinyFont {
    /// Each glyph is 5 rows of 3 bits (most significant bit = leftmost pixel).
    static let glyphs: [Character: [UInt8]] = [
        "0": [7, 5, 5, 5, 7], "1": [2, 6, 2, 2, 7], "2": [7, 1, 7, 4, 7], "3": [7, 1, 7, 1, 7],
        "4": [5, 5, 7, 1, 1], "5": [7, 4, 7, 1, 7], "6": [7, 4, 7, 5, 7], "7": [7, 1, 1, 1, 1],
        "8": [7, 5, 7, 5, 7], "9": [7, 5, 7, 1, 7], "-": [0, 0, 7, 0, 0], " ": [0, 0, 0, 0, 0],
        "A": [2, 5, 7, 5, 5], "B": [6, 5, 6, 5, 6], "C": [3, 4, 4, 4, 3], "D": [6, 5, 5, 5, 6],
        "E": [7, 4, 6, 4, 7], "F": [7, 4, 6, 4, 4], "G": [3, 4, 5, 5, 3], "H": [5, 5, 7, 5, 5],
        "I": [7, 2, 2, 2, 7], "J": [1, 1, 1, 5, 2], "K": [5, 5, 6, 5, 5], "L": [4, 4, 4, 4, 7],
        "M": [5, 7, 7, 5, 5], "N": [6, 5, 5, 5, 5], "O": [2, 5, 5, 5, 2], "P": [6, 5, 6, 4, 4],
        "Q": [2, 5, 5, 6, 3], "R": [6, 5, 6, 5, 5], "S": [3, 4, 2, 1, 6], "T": [7, 2, 2, 2, 2],
        "U": [5, 5, 5, 5, 7], "V": [5, 5, 5, 5, 2], "W": [5, 5, 7, 7, 5], "X": [5, 5, 2, 5, 5],
        "Y": [5, 5, 2, 2, 2], "Z": [7, 1, 2, 4, 7],
    ]

    /// Draws `text` in white (unknown characters as a filled box) with its top-left at (left, top), clipped.
    static func draw(_ text: String, into image: inout GridImage, left: Int, top: Int) {
        for (position, character) in text.uppercased().enumerated() {
            let rows = glyphs[character] ?? [7, 7, 7, 7, 7]
            for (dy, bits) in rows.enumerated() {
                for dx in 0..<3 where bits & (4 >> dx) != 0 {
                    let x = left + position * 4 + dx, y = top + dy
                    guard x < image.width, y < image.height else { continue }
                    for c in 0..<image.channels { image.pixels[(c * image.height + y) * image.width + x] = 255 }
                }
            }
        }
    }
}
