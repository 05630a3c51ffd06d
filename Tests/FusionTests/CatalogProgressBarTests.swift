import Foundation
import Testing
@testable import Fusion

@Suite("Pull progress bar")
struct CatalogProgressBarTests {
    private func event(_ phase: PullProgress.Phase, part: Int, of count: Int, bytes: Int64,
                       total: Int64 = 980_000_000) -> PullProgress {
        PullProgress(modelID: "m", phase: phase, part: part, partCount: count, bytesDone: bytes,
                     totalBytes: total, source: "pypi: x==1")
    }

    @Test func formatsTheStatusLine() {
        let bar = ProgressBar(isTTY: true, width: 10)
        #expect(bar.line(for: event(.assembling, part: 3, of: 6, bytes: 441_000_000))
            == "[#####.....] 45% 441/980 MB part 3/6")
        #expect(bar.line(for: event(.assembling, part: 1, of: 1, bytes: 0)) == "[..........] 0% 0/980 MB part 1/1")
        #expect(ProgressBar.bar(fraction: 1, width: 4) == "[####]")
        #expect(ProgressBar.bar(fraction: .nan, width: 2) == "[..]")
        #expect(ProgressBar.megabytes(98_362_432) == "98")
    }

    @Test func ttyRedrawsInPlaceAndEndsWithANewline() {
        var bar = ProgressBar(isTTY: true, width: 10)
        let first = bar.render(event(.assembling, part: 1, of: 2, bytes: 100_000_000))
        #expect(first?.hasPrefix("\r\u{1B}[2K[#") == true)
        #expect(bar.render(event(.assembling, part: 1, of: 2, bytes: 100_000_000)) == nil)  // unchanged
        let last = bar.render(event(.finished, part: 2, of: 2, bytes: 980_000_000))
        #expect(last?.hasSuffix("\n") == true)
        #expect(last?.contains("100%") == true)
    }

    @Test func plainOutputIsOneLinePerPart() {
        var bar = ProgressBar(isTTY: false)
        let events = [
            event(.downloading, part: 1, of: 2, bytes: 0),
            event(.assembling, part: 1, of: 2, bytes: 10),
            event(.assembling, part: 1, of: 2, bytes: 490_000_000),
            event(.partDone, part: 1, of: 2, bytes: 490_000_000),
            event(.downloading, part: 2, of: 2, bytes: 490_000_000),
            event(.assembling, part: 2, of: 2, bytes: 700_000_000),
            event(.partDone, part: 2, of: 2, bytes: 980_000_000),
            event(.verifying, part: 2, of: 2, bytes: 980_000_000),
            event(.finished, part: 2, of: 2, bytes: 980_000_000),
        ]
        let output = events.compactMap { bar.render($0) }.joined()
        #expect(output == """
            m: pulling from pypi: x==1
            m: part 1/2 done, 490/980 MB
            m: part 2/2 done, 980/980 MB
            m: verifying sha256
            m: done, 980 MB verified

            """)
    }
}
