import Foundation
import Fusion
import HTTPServer
import Llama

/// Counters and histograms the API layer records; `/metrics` renders them together with the
/// scheduler's and the HTTP layer's live numbers.
final class ServerMetrics: Sendable {
    private struct State {
        var requests: [String: Int] = [:]          // "route status" → count
        var promptTokens = 0
        var completionTokens = 0
        var requestSeconds: [String: Histogram] = [:]
        var stageSeconds: [String: Histogram] = [:]
        var fusions: [String: Int] = [:]           // status → count
        var failedSeats = 0
        var seatAnswers: [String: Int] = [:]      // "local" / "remote:<provider>" → answers
        var cost = 0.0
    }
    private let state = LockedState(State())

    /// One finished request: its route (`chat`, `fusion`, `fusion_tool`, `models`, …) and status.
    func request(route: String, status: Int, seconds: Double? = nil) {
        state.withLock {
            $0.requests["\(route) \(status)", default: 0] += 1
            if let seconds { $0.requestSeconds[route, default: Histogram()].observe(seconds) }
        }
    }

    func tokens(_ usage: TokenUsage) {
        state.withLock {
            $0.promptTokens += usage.promptTokens
            $0.completionTokens += usage.completionTokens
        }
    }

    /// Stage times of a finished fusion.
    func fusion(_ result: FusionResult) {
        state.withLock {
            $0.fusions[result.status.rawValue, default: 0] += 1
            $0.failedSeats += result.failedModels.count
            $0.cost += result.cost
            for response in result.responses {
                let source = response.source.hasPrefix("remote:")
                    ? String(response.source.prefix { $0 != "/" }) : "local"
                $0.seatAnswers[source, default: 0] += 1
            }
            let stages = result.trace.stages
            for (name, seconds) in [("plan", stages.plan), ("panel", stages.panel), ("judge", stages.judge),
                                    ("synthesis", stages.synthesis), ("loading", stages.loading), ("total", stages.total)]
                where seconds > 0 || name == "total" {
                $0.stageSeconds[name, default: Histogram()].observe(seconds)
            }
        }
    }

    /// The whole exposition: our counters plus the given live gauges.
    func render(scheduler: SchedulerSnapshot, http: HTTPServerMetrics, waiting: Int, running: Int,
                budgetBytes: UInt64, residentBytes: Int64) -> String {
        let s = state.withLock { $0 }
        var out = PrometheusText()
        out.family("localfusion_requests_total", type: "counter", help: "Finished API requests by route and HTTP status.")
        for key in s.requests.keys.sorted() {
            let parts = key.split(separator: " ").map(String.init)
            out.sample("localfusion_requests_total", [("route", parts[0]), ("status", parts[1])], Double(s.requests[key]!))
        }
        out.metric("localfusion_prompt_tokens_total", type: "counter", help: "Prompt tokens evaluated, all inner calls included.", Double(s.promptTokens))
        out.metric("localfusion_completion_tokens_total", type: "counter", help: "Tokens generated, all inner calls included.", Double(s.completionTokens))
        out.family("localfusion_fusions_total", type: "counter", help: "Finished fusions by status.")
        for key in s.fusions.keys.sorted() { out.sample("localfusion_fusions_total", [("status", key)], Double(s.fusions[key]!)) }
        out.metric("localfusion_failed_seats_total", type: "counter", help: "Panel seats that produced no answer.", Double(s.failedSeats))
        out.family("localfusion_seat_answers_total", type: "counter", help: "Panel answers by where they ran (local or remote:<provider>).")
        for key in s.seatAnswers.keys.sorted() { out.sample("localfusion_seat_answers_total", [("source", key)], Double(s.seatAnswers[key]!)) }
        out.metric("localfusion_cost_total", type: "counter", help: "Cost of remote answers from the providers' price tables.", s.cost)
        out.metric("localfusion_requests_running", type: "gauge", help: "Requests holding an execution slot.", Double(running))
        out.metric("localfusion_queue_depth", type: "gauge", help: "Requests waiting: for a slot, or for a model's memory.",
                   Double(waiting + scheduler.queueDepth))
        out.metric("localfusion_models_loaded", type: "gauge", help: "Model instances resident in memory.", Double(scheduler.loaded.count))
        out.family("localfusion_model_loaded_bytes", type: "gauge", help: "Bytes reserved per resident model instance.")
        for model in scheduler.loaded {
            out.sample("localfusion_model_loaded_bytes", [("model", model.key.description), ("leases", String(model.refCount))], Double(model.bytes))
        }
        out.metric("localfusion_memory_reserved_bytes", type: "gauge", help: "Bytes reserved by resident and loading models.", Double(scheduler.reservedBytes))
        out.metric("localfusion_memory_peak_reserved_bytes", type: "gauge", help: "Highest reservation so far.", Double(scheduler.peakReservedBytes))
        out.metric("localfusion_memory_model_budget_bytes", type: "gauge", help: "Bytes models may reserve (budget minus the process itself).", Double(scheduler.budgetBytes))
        out.metric("localfusion_memory_budget_bytes", type: "gauge", help: "The memory budget asked for.", Double(budgetBytes))
        out.metric("localfusion_resident_bytes", type: "gauge", help: "Resident memory of the server process.", Double(residentBytes))
        out.metric("localfusion_model_loads_total", type: "counter", help: "Model loads.", Double(scheduler.loadCount))
        out.metric("localfusion_model_evictions_total", type: "counter", help: "Model evictions.", Double(scheduler.evictionCount))
        out.metric("localfusion_http_connections_active", type: "gauge", help: "Open client connections.", Double(http.activeConnections))
        out.metric("localfusion_http_connections_total", type: "counter", help: "Accepted connections.", Double(http.totalConnections))
        out.metric("localfusion_http_client_disconnects_total", type: "counter", help: "Clients gone before their response ended.", Double(http.clientDisconnects))
        out.histograms("localfusion_request_duration_seconds", help: "Wall time of API requests by route.", label: "route",
                       s.requestSeconds.keys.sorted().map { ($0, s.requestSeconds[$0]!) })
        out.histograms("localfusion_fusion_stage_seconds", help: "Wall time of fusion stages.", label: "stage",
                       s.stageSeconds.keys.sorted().map { ($0, s.stageSeconds[$0]!) })
        return out.text
    }
}

/// A value behind a lock.
final class LockedState<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
