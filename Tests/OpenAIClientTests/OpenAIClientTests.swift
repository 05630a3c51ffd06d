// The root suite: every test of this target runs inside it, one at a time, because the timing
// assertions (retry waits, timeouts, cancellation latency) are unreliable on a busy 2-core machine.
import Testing

@Suite("OpenAI-compatible client", .serialized)
struct OpenAIClientTests {}
