using Microsoft.Playwright;

namespace TransferHub.Bench.Labeling;

/// <summary>
/// Warm page loads in Chromium, split where the time goes: the server's HTML (prerendered page, time to first byte),
/// DOMContentLoaded, the first contentful paint (the prerendered page, with its data, on screen), the circuit up and the
/// layout's first interactive render done (its interactive marker), the page's data after the
/// interactive render (no loading bar left),
/// and the last network activity (Playwright's network idle minus its 500 ms quiet window). The first load of each page
/// is dropped as warm-up.
/// </summary>
public static class PageLoadBench
{
    private const string ReadyScript = """
        () => {
            const nav = performance.getEntriesByType('navigation')[0];
            const paint = performance.getEntriesByName('first-contentful-paint')[0];
            return [nav.responseStart, nav.domContentLoadedEventEnd, paint ? paint.startTime : NaN, performance.now()];
        }
        """;

    // Where the time between DOMContentLoaded and the circuit goes: the framework's own requests, with start and end.
    private const string ResourcesScript = """
        () => performance.getEntriesByType('resource')
            .filter(r => /_blazor|_framework|MudBlazor|\.js/.test(r.name))
            .map(r => `${r.name.replace(/^https?:\/\/[^/]+/, '').replace(/\?.*$/, '')} ${r.startTime.toFixed(0)}→${r.responseEnd.toFixed(0)}`)
            .join(', ')
        """;

    // How much the browser had to parse and lay out: the prerendered document's size and the page's element count.
    private const string SizeScript = """
        () => `${(performance.getEntriesByType('navigation')[0].decodedBodySize / 1024).toFixed(0)} KB, ${document.getElementsByTagName('*').length} elements`
        """;

    // The circuit's traffic, from inside the page: each WebSocket frame with its time, size and the SignalR/Blazor
    // method names it carries (blazorpack writes them as plain strings), so a load reads as a timeline.
    private const string CircuitTraceInit = """
        (() => {
            const Native = window.WebSocket;
            const frames = window.__circuitFrames = [];
            const names = d => {
                const bytes = typeof d === 'string' ? d : String.fromCharCode(...new Uint8Array(d.slice ? d.slice(0, 400) : d));
                return [...new Set(bytes.match(/(StartCircuit|UpdateRootComponents|OnRenderCompleted|BeginInvokeDotNetFromJS|EndInvokeJSFromDotNet|EndInvokeDotNet|DispatchBrowserEvent|OnLocationChanged|JS\.[A-Za-z]+|[A-Za-z]+\.[A-Za-z.]+(?=\W))/g) || [])].slice(0, 4).join(' ');
            };
            window.WebSocket = class extends Native {
                constructor(...a) {
                    super(...a);
                    this.addEventListener('message', e => frames.push({ t: performance.now(), dir: '←', n: e.data.byteLength ?? e.data.length, names: names(e.data) }));
                }
                send(d) { frames.push({ t: performance.now(), dir: '→', n: d.byteLength ?? d.length, names: names(d) }); super.send(d); }
            };
        })();
        """;

    // At the ready mark: the time from StartCircuit to now, and what the circuit sent until then (KB, render batches).
    // Bytes and batches do not depend on how busy the machine is, so they compare two builds where times are noisy.
    private const string CircuitScript = """
        () => {
            const f = window.__circuitFrames, start = f.find(x => x.names.includes('StartCircuit'));
            const got = f.filter(x => x.dir === '←');
            return [start ? performance.now() - start.t : NaN, got.reduce((s, x) => s + x.n, 0) / 1024, got.filter(x => x.names.includes('RenderBatch')).length];
        }
        """;

    private const string TimelineScript = """
        () => window.__circuitFrames.map(x => `${x.t.toFixed(0)} ${x.dir} ${x.n} B ${x.names}`).join('; ')
        """;

    public static async Task RunAsync(IPage page, IReadOnlyList<(string Name, string Path)> pages, int loads, bool traceCircuit = false)
    {
        await page.AddInitScriptAsync(CircuitTraceInit);
        var details = new List<string>();
        Console.WriteLine("| page | server HTML (TTFB) | DOMContentLoaded | first contentful paint p50 / p95 | interactive (marker) | interactive render done p50 / p95 | circuit start → done | circuit sent until done | last network activity |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var (name, path) in pages)
        {
            var ttfb = new List<double>();
            var dom = new List<double>();
            var paint = new List<double>();
            var interactive = new List<double>();
            var ready = new List<double>();
            var quiet = new List<double>();
            var circuit = new List<double>();
            var (kb, batches) = (0.0, 0.0);
            for (var i = 0; i <= loads; i++)
            {
                await page.GotoAsync(path, new() { WaitUntil = WaitUntilState.Commit });
                await page.Locator("#app-interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
                var atInteractive = await page.EvaluateAsync<double>("() => performance.now()");
                await page.Locator(".mud-progress-linear-indeterminate").First.WaitForAsync(new() { State = WaitForSelectorState.Detached });
                var marks = await page.EvaluateAsync<double[]>(ReadyScript);
                var sent = await page.EvaluateAsync<double[]>(CircuitScript);
                await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
                var atIdle = await page.EvaluateAsync<double>("() => performance.now()") - 500;
                if (i == 0)
                {
                    continue; // warm-up: first circuit, cold caches
                }
                if (i == loads)
                {
                    details.Add($"{name} (HTML {await page.EvaluateAsync<string>(SizeScript)}): {await page.EvaluateAsync<string>(ResourcesScript)}");
                    if (traceCircuit)
                    {
                        details.Add($"  circuit: {await page.EvaluateAsync<string>(TimelineScript)}");
                    }
                }
                ttfb.Add(marks[0]);
                dom.Add(marks[1]);
                paint.Add(marks[2]);
                interactive.Add(atInteractive);
                ready.Add(marks[3]);
                quiet.Add(atIdle);
                circuit.Add(sent[0]);
                (kb, batches) = (sent[1], sent[2]);
            }
            Console.WriteLine($"| {name} | {P(ttfb, 0.5)} | {P(dom, 0.5)} | **{P(paint, 0.5)}** / {P(paint, 0.95)} | {P(interactive, 0.5)} | **{P(ready, 0.5)}** / {P(ready, 0.95)} | {P(circuit, 0.5)} | {kb:0} KB in {batches:0} batches | {P(quiet, 0.5)} |");
        }
        Console.WriteLine();
        Console.WriteLine("Framework requests of each page's last load (ms from navigation start):");
        details.ForEach(d => Console.WriteLine($"- {d}"));
    }

    private static string P(List<double> values, double p)
    {
        values.Sort();
        return $"{BenchApp.Percentile(values, p):0} ms";
    }
}
