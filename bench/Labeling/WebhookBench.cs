using System.Net.Http.Headers;
using System.Text.Json;
using TransferHub.Tests.Support;

namespace TransferHub.Bench.Labeling;

/// <summary>
/// Webhook deliveries per second and the delay from event to delivery: <c>--webhooks N</c> queues N test pings
/// (the API's own event) spread over 5 webhooks to one loopback receiver, as fast as the API takes them, and times each
/// from the event's <c>occurredAt</c> to its arrival at the receiver.
/// </summary>
public static class WebhookBench
{
    public static async Task RunAsync(BenchApp app, string token, string database, int events)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var api = new HttpClient { BaseAddress = new Uri(app.BaseUrl), Timeout = TimeSpan.FromMinutes(5) };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var hooks = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var created = await BenchApp.PostAsync(api, "/api/webhooks", new { url = $"{receiver.Url}/{i}" });
            hooks.Add(created.GetProperty("webhook").GetProperty("id").GetString()!);
        }
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, events), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            (await api.PostAsync($"/api/webhooks/{hooks[i % hooks.Count]}/ping", null, ct)).EnsureSuccessStatusCode());
        var queued = watch.Elapsed;
        var got = await receiver.WaitForAsync(events, TimeSpan.FromMinutes(10));
        watch.Stop();
        var delays = got.Select(r => (r.At - JsonDocument.Parse(r.Body).RootElement.GetProperty("occurredAt").GetDateTimeOffset()).TotalMilliseconds).Order().ToList();
        Console.WriteLine($"webhooks, {database}: {events} events over {hooks.Count} webhooks queued in {queued.TotalSeconds:0.0} s, all delivered in {watch.Elapsed.TotalSeconds:0.0} s " +
            $"= {events / watch.Elapsed.TotalSeconds:0} deliveries/s; event → delivery p50 {BenchApp.Percentile(delays, 0.5):0} ms, p95 {BenchApp.Percentile(delays, 0.95):0} ms, max {delays[^1]:0} ms; " +
            $"received {receiver.Requests.Count}, distinct events {got.Select(r => r.Delivery).Distinct().Count()}");
    }
}
