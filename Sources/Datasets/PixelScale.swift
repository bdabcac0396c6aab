/// The pixel convention of every trainer and sampler: a byte `b` is the float `(b / 255)·2 − 1`
/// in [-1, 1] (torchvision's ToTensor followed by `2x − 1`, bit for bit in float32).
public enum PixelScale {
    /// `signed[b]` for every byte value.
    public static let signed: [Float] = (0...255).map { Float($0) / 255 * 2 - 1 }

    /// Back to a byte as torchvision's `save_image` does: `(x + 1) / 2`, times 255, plus 0.5,
    /// clamped to [0, 255] and truncated. NaN maps to 0.
    @inline(__always)
    public static func byte(_ x: Float) -> UInt8 {
        let v = ((x + 1) / 2) * 255 + 0.5
        guard v > 0 else { return 0 }
        return v >= 255 ? 255 : UInt8(v)
    }
}
