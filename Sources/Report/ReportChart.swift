// Line charts as inline SVG: axes with ticks, one polyline per series, a legend.
import Foundation

extension LineChart {
    static let width = 560.0, height = 320.0
    static let left = 64.0, right = 150.0, top = 28.0, bottom = 44.0
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    /// The chart as an `<svg>` element (no external resources).
    public func svg() -> String {
        let finite = series.flatMap { $0.points.filter { $0.x.isFinite && $0.y.isFinite } }
        let xs = Self.niceRange(finite.map(\.x)), ys = Self.niceRange(finite.map(\.y))
        let plotW = Self.width - Self.left - Self.right, plotH = Self.height - Self.top - Self.bottom
        func px(_ x: Double) -> Double { Self.left + (x - xs.low) / (xs.high - xs.low) * plotW }
        func py(_ y: Double) -> Double { Self.top + plotH - (y - ys.low) / (ys.high - ys.low) * plotH }

        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(Self.width))\" height=\"\(Int(Self.height))\" "
            + "viewBox=\"0 0 \(Int(Self.width)) \(Int(Self.height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        out += "<title>\(escapeHTML(title))</title>\n"
        out += "<text x=\"\(Self.left)\" y=\"16\" font-size=\"13\" font-weight=\"bold\">\(escapeHTML(title))</text>\n"
        // Axes.
        let x0 = Self.left, y0 = Self.top + plotH
        out += "<g class=\"axes\" stroke=\"#333\" stroke-width=\"1\">"
        out += "<line x1=\"\(x0)\" y1=\"\(y0)\" x2=\"\(x0 + plotW)\" y2=\"\(y0)\"/>"
        out += "<line x1=\"\(x0)\" y1=\"\(Self.top)\" x2=\"\(x0)\" y2=\"\(y0)\"/></g>\n"
        for tick in xs.ticks {
            let x = Self.fmt(px(tick))
            out += "<line x1=\"\(x)\" y1=\"\(y0)\" x2=\"\(x)\" y2=\"\(y0 + 4)\" stroke=\"#333\"/>"
            out += "<text x=\"\(x)\" y=\"\(y0 + 16)\" text-anchor=\"middle\">\(Self.label(tick))</text>\n"
        }
        for tick in ys.ticks {
            let y = Self.fmt(py(tick))
            out += "<line x1=\"\(x0 - 4)\" y1=\"\(y)\" x2=\"\(x0 + plotW)\" y2=\"\(y)\" stroke=\"#ddd\"/>"
            out += "<text x=\"\(x0 - 6)\" y=\"\(y)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(Self.label(tick))</text>\n"
        }
        out += "<text x=\"\(Self.fmt(x0 + plotW / 2))\" y=\"\(Self.height - 8)\" text-anchor=\"middle\">\(escapeHTML(xLabel))</text>\n"
        out += "<text transform=\"translate(14 \(Self.fmt(Self.top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(escapeHTML(yLabel))</text>\n"
        // Series and legend.
        for (index, s) in series.enumerated() {
            let colour = Self.palette[index % Self.palette.count]
            let points = s.points.filter { $0.x.isFinite && $0.y.isFinite }
                .map { "\(Self.fmt(px($0.x))),\(Self.fmt(py($0.y)))" }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\" points=\"\(points)\"/>\n"
            let ly = Self.top + 14 * Double(index)
            let lx = Self.width - Self.right + 12
            out += "<line x1=\"\(lx)\" y1=\"\(ly)\" x2=\"\(lx + 16)\" y2=\"\(ly)\" stroke=\"\(colour)\" stroke-width=\"2\"/>"
            out += "<text x=\"\(lx + 20)\" y=\"\(ly)\" dominant-baseline=\"middle\">\(escapeHTML(s.name))</text>\n"
        }
        out += "</svg>"
        return out
    }

    /// A padded range with round tick values (1, 2 or 5 × 10ᵏ apart, about five ticks).
    static func niceRange(_ values: [Double]) -> (low: Double, high: Double, ticks: [Double]) {
        guard var low = values.min(), var high = values.max() else { return (0, 1, [0, 0.5, 1]) }
        if high - low < 1e-12 * max(1, abs(high)) { low -= 0.5 * max(1, abs(low)); high += 0.5 * max(1, abs(high)) }
        let raw = (high - low) / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        let first = floor(low / step) * step, last = ceil(high / step) * step
        let count = Int(((last - first) / step).rounded()) + 1
        let ticks = (0..<count).map { i -> Double in
            let tick = first + Double(i) * step
            return abs(tick) < step * 1e-9 ? 0 : tick
        }
        return (first, last, ticks)
    }

    static func fmt(_ v: Double) -> String { String(format: "%.1f", v) }

    static func label(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e7 { return String(Int(v)) }
        return String(format: "%.4g", v)
    }
}
