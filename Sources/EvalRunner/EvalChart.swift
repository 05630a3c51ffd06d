import Eval
import Foundation

/// The accuracy bar chart of the report, as plain SVG text (no libraries, no fonts to embed):
/// one group of bars per task plus "all", one bar per condition, a whisker for its Wilson 95 %
/// interval, and a legend. Combining conditions (vote, ceiling, fusion) are outlined so they
/// stand out from the solo bars they are compared with.
public struct EvalChart: Sendable {
    public struct Bar: Sendable, Equatable {
        public var condition: String
        public var value: Double
        public var low: Double
        public var high: Double
    }
    public struct Group: Sendable, Equatable {
        public var label: String
        public var bars: [Bar]
    }

    public var title: String
    public var groups: [Group]
    /// Condition names in legend order, with whether each combines answers.
    public var series: [(name: String, combines: Bool)]

    /// Distinct colours that stay apart for the common kinds of colour blindness (Tableau 10 + 2).
    static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
                          "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#1b9e77", "#7570b3"]

    public init(report: EvalReport, title: String = "Accuracy per task (dev split), 95 % Wilson intervals") {
        self.title = title
        series = report.conditions.map { ($0.name, $0.kind.combines) }
        var groups: [Group] = []
        for scope in [nil] + report.tasks.map(Optional.some) {
            let bars = report.rows(task: scope).map {
                Bar(condition: $0.condition, value: $0.accuracy.value, low: $0.accuracy.low, high: $0.accuracy.high)
            }
            groups.append(Group(label: scope ?? "all tasks", bars: bars))
        }
        self.groups = groups
    }

    /// Escapes text for XML character data and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(ch)
            }
        }
        return out
    }

    private static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    /// The SVG document.
    public var svg: String {
        let barWidth = 12.0, barGap = 2.0, groupGap = 28.0
        let left = 56.0, top = 44.0, plotHeight = 260.0
        let seriesCount = max(1, series.count)
        let groupWidth = Double(seriesCount) * (barWidth + barGap) - barGap
        let plotWidth = max(480, Double(groups.count) * (groupWidth + groupGap) + groupGap)
        let width = left + plotWidth + 20
        let legendColumns = max(1, Int((width - left) / 260))
        let legendRows = (series.count + legendColumns - 1) / legendColumns
        let legendTop = top + plotHeight + 56
        let height = legendTop + Double(legendRows) * 18 + 16
        let colour = Dictionary(series.enumerated().map { ($0.element.name, Self.palette[$0.offset % Self.palette.count]) },
                                uniquingKeysWith: { a, _ in a })
        let combines = Dictionary(series.map { ($0.name, $0.combines) }, uniquingKeysWith: { a, _ in a })
        func y(_ v: Double) -> Double { top + plotHeight * (1 - min(1, max(0, v))) }

        var s: [String] = []
        s.append(##"<?xml version="1.0" encoding="UTF-8"?>"##)
        s.append(##"<svg xmlns="http://www.w3.org/2000/svg" width="\##(Self.f(width))" height="\##(Self.f(height))" viewBox="0 0 \##(Self.f(width)) \##(Self.f(height))" font-family="Helvetica, Arial, sans-serif" font-size="11">"##)
        s.append(##"<title>\##(Self.escape(title))</title>"##)
        s.append(##"<rect x="0" y="0" width="\##(Self.f(width))" height="\##(Self.f(height))" fill="#ffffff"/>"##)
        s.append(##"<text x="\##(Self.f(left))" y="24" font-size="14" font-weight="bold">\##(Self.escape(title))</text>"##)
        for tick in stride(from: 0, through: 100, by: 20) {
            let ty = y(Double(tick) / 100)
            s.append(##"<line x1="\##(Self.f(left))" y1="\##(Self.f(ty))" x2="\##(Self.f(left + plotWidth))" y2="\##(Self.f(ty))" stroke="#dddddd" stroke-width="1"/>"##)
            s.append(##"<text x="\##(Self.f(left - 6))" y="\##(Self.f(ty + 4))" text-anchor="end">\##(tick) %</text>"##)
        }
        s.append(##"<line x1="\##(Self.f(left))" y1="\##(Self.f(top))" x2="\##(Self.f(left))" y2="\##(Self.f(top + plotHeight))" stroke="#333333" stroke-width="1"/>"##)
        s.append(##"<text x="14" y="\##(Self.f(top + plotHeight / 2))" transform="rotate(-90 14 \##(Self.f(top + plotHeight / 2)))" text-anchor="middle">accuracy</text>"##)

        for (g, group) in groups.enumerated() {
            let gx = left + groupGap + Double(g) * (groupWidth + groupGap)
            s.append(##"<g>"##)
            for bar in group.bars {
                guard let slot = series.firstIndex(where: { $0.name == bar.condition }) else { continue }
                let x = gx + Double(slot) * (barWidth + barGap)
                let fill = colour[bar.condition] ?? "#888888"
                let outline = combines[bar.condition] == true ? ##" stroke="#222222" stroke-width="1""## : ""
                let tooltip = "\(bar.condition), \(group.label): \(EvalReport.percent(bar.value)) % "
                    + "[\(EvalReport.percent(bar.low)), \(EvalReport.percent(bar.high))]"
                s.append(##"<rect x="\##(Self.f(x))" y="\##(Self.f(y(bar.value)))" width="\##(Self.f(barWidth))" height="\##(Self.f(max(0, top + plotHeight - y(bar.value))))" fill="\##(fill)"\##(outline)><title>\##(Self.escape(tooltip))</title></rect>"##)
                let cx = x + barWidth / 2
                s.append(##"<line x1="\##(Self.f(cx))" y1="\##(Self.f(y(bar.low)))" x2="\##(Self.f(cx))" y2="\##(Self.f(y(bar.high)))" stroke="#000000" stroke-width="1"/>"##)
                s.append(##"<line x1="\##(Self.f(cx - 3))" y1="\##(Self.f(y(bar.high)))" x2="\##(Self.f(cx + 3))" y2="\##(Self.f(y(bar.high)))" stroke="#000000" stroke-width="1"/>"##)
                s.append(##"<line x1="\##(Self.f(cx - 3))" y1="\##(Self.f(y(bar.low)))" x2="\##(Self.f(cx + 3))" y2="\##(Self.f(y(bar.low)))" stroke="#000000" stroke-width="1"/>"##)
            }
            s.append(##"<text x="\##(Self.f(gx + groupWidth / 2))" y="\##(Self.f(top + plotHeight + 18))" text-anchor="middle" font-weight="bold">\##(Self.escape(group.label))</text>"##)
            s.append(##"</g>"##)
        }
        s.append(##"<line x1="\##(Self.f(left))" y1="\##(Self.f(top + plotHeight))" x2="\##(Self.f(left + plotWidth))" y2="\##(Self.f(top + plotHeight))" stroke="#333333" stroke-width="1"/>"##)

        for (i, entry) in series.enumerated() {
            let lx = left + Double(i % legendColumns) * 260
            let ly = legendTop + Double(i / legendColumns) * 18
            let outline = entry.combines ? ##" stroke="#222222" stroke-width="1""## : ""
            s.append(##"<rect x="\##(Self.f(lx))" y="\##(Self.f(ly - 9))" width="10" height="10" fill="\##(colour[entry.name] ?? "#888888")"\##(outline)/>"##)
            s.append(##"<text x="\##(Self.f(lx + 16))" y="\##(Self.f(ly))">\##(Self.escape(entry.name))</text>"##)
        }
        s.append("</svg>")
        return s.joined(separator: "\n") + "\n"
    }
}
