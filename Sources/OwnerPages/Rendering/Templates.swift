/// The owner pages' Mustache templates. `{{name}}` escapes (`& < > " '`); the templates never use the unescaped
/// forms, so every value, receivers' bodies included, reaches the page as text. Kept free of indentation: the request
/// log page with 100 entries must stay small.
enum Templates {
    static let all: [String: String] = [
        "head": head, "foot": foot, "tabs": tabs, "chart": chart, "apps": apps, "settings": settings,
        "dashboard": dashboard, "signIn": signIn, "message": message,
    ]

    static let head = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width,initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>{{title}} · alert-relay</title>
        <link rel="stylesheet" href="{{css}}">
        </head>
        <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top"><a href="{{home}}">alert-relay · {{orgSlug}}</a>{{#session}}<div><span class="who">\
        Signed in as {{actor}}</span> <form method="post" action="{{signOut}}"><input type="hidden" name="csrf" \
        value="{{csrf}}"><button type="submit" class="small">Sign out</button></form></div>{{/session}}</header>
        <main id="main">
        {{#notice}}<p class="notice" role="status">{{notice}}</p>
        {{/notice}}{{#problem}}<p class="notice problem" role="alert">{{problem}}</p>
        {{/problem}}
        """

    static let foot = """
        </main>
        </body>
        </html>

        """

    static let tabs = """
        <nav class="crumbs" aria-label="Breadcrumb"><a href="{{home}}">Developer settings</a> / {{app.slug}}</nav>
        <h1>{{app.name}}</h1>
        <nav class="tabs" aria-label="Integration"><a href="{{app.settingsHref}}"{{#onSettings}} aria-current="page"\
        {{/onSettings}}>Settings</a><a href="{{app.dashboardHref}}"{{#onDashboard}} aria-current="page"{{/onDashboard}}>\
        Dashboard</a></nav>

        """

    static let chart = """
        <svg class="chart" viewBox="0 0 {{chart.width}} {{chart.height}}" role="img" aria-labelledby="chart-t"><title id="chart-t">{{chart.title}}\
        </title><line class="grid" x1="44" y1="12" x2="648" y2="12"/><line class="grid" x1="44" y1="82" x2="648" \
        y2="82"/><line class="axis" x1="44" y1="152" x2="648" y2="152"/><text x="38" y="16" text-anchor="end">\
        {{chart.max}}</text>{{#chart.half}}<text x="38" y="86" text-anchor="end">{{chart.half}}</text>{{/chart.half}}\
        <text x="38" y="156" text-anchor="end">0</text>
        {{#chart.bars}}{{#any}}<g><title>{{label}}</title>{{#segments}}<rect class="{{kind}}" x="{{x}}" y="{{y}}" \
        width="{{chart.barWidth}}" height="{{height}}"/>{{/segments}}</g>
        {{/any}}{{/chart.bars}}{{#chart.ticks}}<text x="{{x}}" y="172" text-anchor="middle">{{text}}</text>{{/chart.ticks}}\
        </svg>

        """

    static let apps = """
        {{> head}}
        <h1>Developer settings</h1>
        <p class="hint">The integrations of {{orgName}}.</p>
        <div class="card"><table><caption class="sr-only">Integrations</caption><thead><tr><th scope="col">Name</th>\
        <th scope="col">Status</th><th scope="col" class="opt">Webhook URL</th></tr></thead><tbody>
        {{#apps}}<tr><td><a href="{{settingsHref}}">{{name}}</a></td><td><span class="badge {{state}}">{{stateLabel}}\
        </span></td><td class="opt"><code>{{webhookURL}}</code></td></tr>
        {{/apps}}{{^apps}}<tr><td colspan="3">No integrations yet.</td></tr>
        {{/apps}}</tbody></table></div>
        {{> foot}}
        """

    static let settings = """
        {{> head}}
        {{> tabs}}
        <section class="card" aria-labelledby="status-h">
        <h2 id="status-h">Status</h2>
        <dl class="facts">
        <dt>Status</dt><dd>{{#app.disabled}}<span class="badge disabled">Disabled</span> since {{app.disabledSince}}\
        {{/app.disabled}}{{^app.disabled}}<span class="badge active">Active</span>{{/app.disabled}}</dd>
        {{#app.disabled}}<dt>Why</dt><dd>{{app.reason}}</dd>
        {{/app.disabled}}{{#health}}<dt>Health</dt><dd>{{#warning}}<strong>{{/warning}}{{text}}{{#warning}}</strong>\
        {{/warning}}</dd>
        {{/health}}<dt>Webhook URL</dt><dd><code>{{app.webhookURL}}</code></dd>
        <dt>Timeout</dt><dd>{{app.timeout}}</dd>
        <dt>Kind</dt><dd>{{app.kind}}</dd>
        <dt>Installed in</dt><dd>{{#hasInstallations}}<ul>{{#installations}}<li>{{name}} <span class="hint">({{slug}}, \
        since {{since}})</span></li>{{/installations}}{{#moreInstallations}}<li>and more</li>{{/moreInstallations}}</ul>\
        {{/hasInstallations}}{{^hasInstallations}}No organization{{/hasInstallations}}</dd>
        </dl>
        </section>
        {{#app.disabled}}<section class="card" aria-labelledby="enable-h">
        <h2 id="enable-h">Re-enable</h2>
        <p class="hint">Fix the receiver first. Re-enabling clears the health counters, so the integration receives \
        webhooks again and the broken rule starts afresh. Deliveries that failed while it was disabled can be replayed \
        from the dashboard.</p>
        <form method="post" action="{{enableAction}}"><input type="hidden" name="csrf" value="{{csrf}}">\
        <button type="submit" class="primary">Re-enable</button></form>
        </section>
        {{/app.disabled}}{{> foot}}
        """

    static let dashboard = """
        {{> head}}
        {{> tabs}}
        <section class="card" aria-labelledby="health-h">
        <h2 id="health-h">Health, last 30 UTC days</h2>
        <p class="hint">{{chart.summary}}</p>
        {{> chart}}
        <ul class="legend" aria-hidden="true"><li><span class="sw s"></span>Success</li><li><span class="sw e"></span>\
        Error</li><li><span class="sw t"></span>Timeout</li><li><span class="sw f"></span>Fatal (410)</li></ul>
        <div class="sr-only"><table><caption>Deliveries per UTC day, last 30 days</caption><thead><tr><th scope="col">Day\
        </th><th scope="col">Success</th><th scope="col">Error</th><th scope="col">Timeout</th><th scope="col">Fatal\
        </th></tr></thead><tbody>{{#chart.bars}}<tr><th scope="row">{{date}}</th><td>{{success}}</td><td>{{error}}\
        </td><td>{{timeout}}</td><td>{{fatal}}</td></tr>{{/chart.bars}}</tbody></table></div>
        </section>
        <section class="card" aria-labelledby="log-h">
        <h2 id="log-h">Request log</h2>
        <form method="get" action="{{app.dashboardHref}}" class="row" aria-label="Filter the request log">
        <div class="check"><input type="checkbox" id="f-err" name="errorsOnly" value="true"{{#filter.errorsOnly}} \
        checked{{/filter.errorsOnly}}><label for="f-err">Errors only</label></div>
        <div><label for="f-type">Event type</label><input id="f-type" name="eventType" value="{{filter.eventType}}" \
        size="22"></div>
        <div><label for="f-status">Status</label><select id="f-status" name="status">{{#filter.statuses}}<option \
        value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/filter.statuses}}</select></div>
        <div><label for="f-since">Since (UTC)</label><input id="f-since" type="datetime-local" name="since" \
        value="{{filter.since}}"></div>
        <div><button type="submit">Apply</button></div>
        </form>
        {{#hasEntries}}<form method="post" action="{{redeliverAction}}"><input type="hidden" name="csrf" value="{{csrf}}">
        <div class="scroll" role="region" aria-labelledby="log-h" tabindex="0"><table class="log"><caption \
        class="sr-only">Requests, newest first; each time opens what was sent and received</caption><thead><tr><th \
        scope="col">Time (UTC)</th><th scope="col">Status</th><th scope="col">Event</th><th scope="col">Duration</th>\
        <th scope="col">Error</th><th scope="col"><span class="sr-only">Redeliver</span></th></tr></thead><tbody>
        {{#entries}}<tr id="r{{id}}"{{#open}} class="open"{{/open}}><td><a href="{{toggleHref}}">{{time}}</a></td><td>\
        <span class="{{codeClass}}">{{code}}</span></td><td>{{eventType}}</td><td>{{duration}}</td><td>{{errorClass}}\
        </td><td><button name="id" value="{{id}}">Redeliver</button></td></tr>
        {{#open}}<tr class="open"><td colspan="6"><dl class="io-meta">{{#meta}}<dt>{{name}}</dt><dd>{{value}}</dd>\
        {{/meta}}</dl><div class="io"><div><h3>Sent</h3><dl>{{#requestHeaders}}<dt>{{name}}</dt><dd>{{value}}</dd>\
        {{/requestHeaders}}</dl><pre tabindex="0" role="region" aria-label="Request body">{{requestBody}}</pre></div><div>\
        <h3>Received</h3><dl>{{#responseHeaders}}<dt>{{name}}</dt><dd>{{value}}</dd>{{/responseHeaders}}</dl><pre \
        tabindex="0" role="region" aria-label="Response body">{{responseBody}}</pre></div></div></td></tr>
        {{/open}}{{/entries}}</tbody></table></div></form>
        {{#older}}<p class="pager"><a href="{{older}}">Older requests</a></p>
        {{/older}}{{/hasEntries}}{{^hasEntries}}<p>No requests match.</p>
        {{/hasEntries}}</section>
        <section class="card" aria-labelledby="replay-h">
        <h2 id="replay-h">Replay failed deliveries</h2>
        <p class="hint">Queues again every delivery that ended failed, or waits for a retry, since the time you choose: \
        up to {{replayLimit}} at once, oldest first, each with its original webhook-id so receivers can tell repeats.\
        {{#app.disabled}} Re-enable the integration first.{{/app.disabled}}</p>
        <form method="post" action="{{replayAction}}" class="row"><input type="hidden" name="csrf" value="{{csrf}}">
        <div><label for="r-since">Failed since (UTC)</label><input id="r-since" type="datetime-local" name="since" \
        required value="{{replaySince}}"></div>
        {{#chooseOrganization}}<div><label for="r-org">Organization</label><select id="r-org" name="organization">\
        {{#installations}}<option value="{{slug}}">{{name}}</option>{{/installations}}</select></div>
        {{/chooseOrganization}}<div><button type="submit" class="primary">Replay failed since then</button></div>
        </form>
        </section>
        {{> foot}}
        """

    static let signIn = """
        {{> head}}
        <h1>{{heading}}</h1>
        {{#message}}<p>{{message}}</p>
        {{/message}}<section class="card" aria-labelledby="token-h">
        <h2 id="token-h">Sign in with an API token</h2>
        <p class="hint">Open the link in the e-mail about your integration, or sign in here with an API token of \
        {{orgSlug}} that has the org:admin scope.</p>
        <form method="post" action="{{action}}"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" \
        name="next" value="{{next}}">
        <div class="row"><div><label for="token">API token</label><input id="token" name="token" type="password" \
        autocomplete="off" required size="40"></div><div><button type="submit" class="primary">Sign in</button></div></div>
        </form>
        </section>
        {{> foot}}
        """

    static let message = """
        {{> head}}
        <h1>{{heading}}</h1>
        <p>{{message}}</p>
        {{#back}}<p><a href="{{back}}">{{backLabel}}</a></p>
        {{/back}}{{#requestID}}<p class="hint">Request id: <code>{{requestID}}</code></p>
        {{/requestID}}{{> foot}}
        """
}
