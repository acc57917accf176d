import AlertRelayLogic

/// The one stylesheet of the owner pages, served by the responder itself (no external assets: the pages work on an
/// air-gapped host) under a name that carries its hash, so browsers may keep it for good.
///
/// Colours: text and controls meet WCAG AA contrast on their backgrounds; the chart uses the Okabe–Ito palette
/// (blue, orange, reddish purple, black), which stays apart for every common colour-vision deficiency, and never
/// tells outcomes by red and green.
enum Stylesheet {
    static let text = """
        :root{--ink:#1f2328;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa;--card:#fff;--accent:#0a57b3;--focus:#0a57b3;\
        --ok:#0072b2;--err:#e69f00;--to:#cc79a7;--fatal:#1f1f1f;--warn-bg:#fff4e0;--warn-ink:#6b3d00;\
        --bad-bg:#fdecea;--bad-ink:#8a1c12;--good-bg:#e6f1fb;--good-ink:#0b4a8b}
        *{box-sizing:border-box}
        html{-webkit-text-size-adjust:100%}
        body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--ink);\
        background:var(--bg)}
        a{color:var(--accent)}
        a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,summary:focus-visible,\
        pre:focus-visible,[tabindex]:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
        .skip{position:absolute;left:-999px;top:0;background:var(--card);padding:.5rem 1rem}
        .skip:focus{left:1rem}
        .top{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between;\
        padding:.75rem 1rem;background:#24292f;color:#fff}
        .top a{color:#fff;font-weight:600;text-decoration:none}
        .top .who{font-size:.875rem;color:#d0d7de;overflow-wrap:anywhere}
        .top form{display:inline}
        .top button{color:#fff;border-color:#8c959f;background:transparent}
        main{max-width:72rem;margin:0 auto;padding:1rem}
        h1{font-size:1.6rem;margin:.5rem 0 .25rem;overflow-wrap:anywhere}
        h2{font-size:1.2rem;margin:0 0 .75rem}
        h3{font-size:1rem;margin:.5rem 0}
        .crumbs{font-size:.875rem;color:var(--muted);margin-top:.5rem}
        .crumbs a{color:var(--muted)}
        .tabs{display:flex;gap:.25rem;border-bottom:1px solid var(--line);margin:1rem 0}
        .tabs a{padding:.5rem .9rem;text-decoration:none;color:var(--ink);border:1px solid transparent;\
        border-bottom:0;border-radius:6px 6px 0 0}
        .tabs a[aria-current]{background:var(--card);border-color:var(--line);margin-bottom:-1px;font-weight:600}
        .card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1rem 1.25rem;\
        margin:0 0 1rem}
        .facts{display:grid;grid-template-columns:minmax(7rem,max-content) 1fr;gap:.5rem 1.25rem;margin:0}
        .facts dt{color:var(--muted)}
        .facts dd{margin:0;overflow-wrap:anywhere}
        .facts ul{margin:0;padding-left:1.1rem}
        code,pre{font:.875rem/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
        .badge{display:inline-block;padding:.1rem .6rem;border-radius:1rem;font-weight:600;font-size:.875rem}
        .badge.active{background:var(--good-bg);color:var(--good-ink)}
        .badge.disabled{background:var(--bad-bg);color:var(--bad-ink)}
        .notice{padding:.75rem 1rem;border-radius:6px;background:var(--good-bg);color:var(--good-ink);\
        border:1px solid #9cc3ea}
        .notice.problem{background:var(--warn-bg);color:var(--warn-ink);border-color:#e8c48a}
        button{font:inherit;font-size:.9375rem;padding:.4rem .9rem;border:1px solid var(--line);border-radius:6px;\
        background:#f6f8fa;color:var(--ink);cursor:pointer}
        button.primary{background:var(--accent);border-color:var(--accent);color:#fff;font-weight:600}
        button.small{font-size:.8125rem;padding:.15rem .6rem}
        input,select{font:inherit;padding:.35rem .5rem;border:1px solid #8c959f;border-radius:6px;background:#fff;\
        color:var(--ink);max-width:100%}
        label{font-weight:600;font-size:.875rem}
        .row{display:flex;flex-wrap:wrap;gap:.75rem 1rem;align-items:flex-end;margin:.5rem 0}
        .row>div{display:flex;flex-direction:column;gap:.2rem;max-width:100%;min-width:0}
        .check{flex-direction:row!important;align-items:center;gap:.4rem!important;padding-bottom:.4rem}
        .hint{color:var(--muted);font-size:.875rem;margin:.25rem 0 .75rem}
        .chart{display:block;width:100%;height:auto;max-width:56rem}
        .chart .s{fill:var(--ok)}.chart .e{fill:var(--err)}.chart .t{fill:var(--to)}.chart .f{fill:var(--fatal)}
        .chart .axis{stroke:#8c959f}.chart .grid{stroke:#eaeef2}
        .chart text{font-size:11px;fill:var(--muted)}
        .legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;padding:0;margin:.5rem 0;font-size:.875rem}
        .sw{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;margin-right:.35rem;vertical-align:-1px}
        .sw.s{background:var(--ok)}.sw.e{background:var(--err)}.sw.t{background:var(--to)}.sw.f{background:var(--fatal)}
        .sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);\
        white-space:nowrap;border:0}
        .scroll{overflow-x:auto}
        table{border-collapse:collapse;width:100%;font-size:.875rem}
        th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #eaeef2;vertical-align:top}
        th{color:var(--muted);font-weight:600;white-space:nowrap}
        .log td:first-child{white-space:nowrap}
        .log th:nth-child(4),.log td:nth-child(4){text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
        .log td:nth-child(2) span{display:inline-block;min-width:2.6rem;text-align:center;border-radius:4px;\
        padding:0 .3rem;font-weight:600;font-variant-numeric:tabular-nums}
        .log button{font-size:.8125rem;padding:.15rem .6rem}
        .c2{background:var(--good-bg);color:var(--good-ink)}.c3{background:#eef1f4;color:#3d444d}
        .c4,.c5{background:var(--warn-bg);color:var(--warn-ink)}.c0{background:#f7e9f1;color:#7a2456}
        .log tr.open>td{background:#f6f8fa;white-space:normal}
        .io{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1rem}
        .io-meta,.io dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:0 .75rem;margin:0 0 .5rem;font-size:.8125rem}
        .io-meta dt,.io dt{color:var(--muted)}.io-meta dd,.io dd{margin:0;overflow-wrap:anywhere;font-family:ui-monospace,Menlo,Consolas,monospace}
        pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#fff;border:1px solid var(--line);border-radius:6px;\
        padding:.5rem;margin:0;max-height:20rem;overflow:auto}
        .pager{margin:.75rem 0 0}
        @media (max-width:40rem){
        main{padding:.75rem}
        .card{padding:.75rem}
        .facts{grid-template-columns:1fr;gap:.1rem}
        .facts dd{margin-bottom:.5rem}
        .io{grid-template-columns:minmax(0,1fr)}
        th,td{padding:.4rem .3rem}
        .log td:first-child{white-space:normal;min-width:6.5rem}
        .chart text{font-size:20px}
        .opt,.log tr>:nth-child(3),.log tr>:nth-child(4){display:none}
        }

        """

    /// The stylesheet's address below the page site's base path: its name changes with its content.
    static let path = "/static/owner-page-" + String(TokenHash.sha256Hex(text).prefix(12)) + ".css"
}
