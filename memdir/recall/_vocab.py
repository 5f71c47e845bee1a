"""Word lists for the offline selector: stop words and related-term groups.

Kept apart from `select_offline` because they are data, not logic. The related-term
groups are general software-engineering vocabulary (abbreviations, near-synonyms,
spelling variants, umbrella terms and their common members). They were written as
vocabulary, not from any evaluation query, and each group should make sense to a
reader who has never seen the evaluation set.
"""

from __future__ import annotations

# Function words, plus the filler people put around a request to an agent ("could you
# please ..."): neither says anything about which memory is wanted.
STOP_WORDS: frozenset[str] = frozenset(
    """
    a about above after again against all am an and any are aren arent as at be because
    been before being below between both but by can cannot cant could couldn did didn didnt
    do does doesn doesnt doing don dont down during each else ever every few for from
    further had hadn has hasn have haven having he her here hers herself him himself his
    how however i id if im in into is isn isnt it its itself ive just let lets ll me
    might more most must mustn my myself no nor not now of off on once only or other ought
    our ours ourselves out over own re same shall shan she should shouldn so some such
    than that thats the their theirs them themselves then there theres these they this
    those though through to too under until up upon us ve very was wasn we were weren
    what whats when where which while who whom whose why will with won wont would wouldn
    yet you youd youll your youre yours yourself yourselves
    also actually anything basically bit definitely else etc everything gonna got hey hi
    hello kind lot lots maybe need needs ok okay perhaps please quick quickly really
    right same something sort stuff sure thank thanks thing things wanna want wants
    yeah yes
    get gets getting give go goes going gone know look looking see show tell think
    """.split()
)

# Past forms Snowball cannot reduce to their verb; prose about work is full of them.
IRREGULAR_FORMS: dict[str, str] = {
    word: base
    for base, forms in (
        ("begin", "began begun"),
        ("break", "broke broken"),
        ("bring", "brought"),
        ("build", "built"),
        ("buy", "bought"),
        ("catch", "caught"),
        ("choose", "chose chosen"),
        ("drive", "drove driven"),
        ("fall", "fell fallen"),
        ("find", "found"),
        ("forget", "forgot forgotten"),
        ("freeze", "froze frozen"),
        ("hide", "hid hidden"),
        ("hold", "held"),
        ("keep", "kept"),
        ("lead", "led"),
        ("lose", "lost"),
        ("make", "made"),
        ("mean", "meant"),
        ("meet", "met"),
        ("pay", "paid"),
        ("run", "ran"),
        ("sell", "sold"),
        ("send", "sent"),
        ("shake", "shook shaken"),
        ("spend", "spent"),
        ("take", "took taken"),
        ("teach", "taught"),
        ("throw", "threw thrown"),
        ("wake", "woke woken"),
        ("write", "wrote written"),
        ("overwrite", "overwrote overwritten"),
        ("rewrite", "rewrote rewritten"),
    )
    for word in forms.split()
}

# One group per line; every word in a group is related to every other. Words are stemmed
# when the selector is built, so list any one inflection.
RELATED_TERMS: tuple[str, ...] = (
    # delivery and CI
    "ci pipeline buildkite jenkins circleci workflow actions runner runners",
    "build builds compile compilation compiler linker",
    "deploy deployment release ship rollout launch publish",
    "rollback revert undo downgrade",
    "flaky flake intermittent sporadic nondeterministic unstable unreliable",
    "done finish finished complete completed",
    "sleep sleeps sleeping wait waits waiting delay",
    "fail failure failing broken break red",
    "freeze frozen blackout moratorium",
    "hotfix patch fix bugfix",
    # hardware and platforms
    "arm arm64 aarch64 graviton",
    "x86 amd64 intel",
    "mac macos macbook osx apple",
    "linux debian ubuntu",
    "windows win32 msvc",
    "laptop machine computer workstation",
    "gpu gpus cuda a100 h100 accelerator",
    "memory ram oom",
    "disk storage volume",
    # data and storage
    "database db postgres postgresql mysql sql rds sqlite",
    "migration migrations migrate schema ddl alembic flyway",
    "table tables column columns row rows",
    "query queries sql",
    "cache caching redis memcached",
    "queue queues kafka topic topics stream broker pubsub",
    "event events message messages",
    "warehouse bigquery snowflake redshift",
    "data dataset datasets",
    "backup backups restore snapshot",
    "retention retain expire expiry ttl",
    "delete deletion remove drop wipe purge erase erasure destroy",
    "duplicate duplicates dedupe deduplicate twice double idempotency idempotent",
    # testing and quality
    "test tests testing spec specs pytest unittest",
    "mock mocks mocking stub stubs fake fakes",
    "integration e2e end-to-end",
    "coverage covered",
    "lint linter linting clippy eslint ruff shellcheck",
    "format formatter formatting prettier gofmt black",
    "type types typing typed typescript mypy annotations",
    "benchmark benchmarks profile profiling measure",
    "performance perf slow slowness latency speed fast",
    "latency p99 p95 percentile response",
    "regression regressions",
    # reliability and operations
    "incident incidents outage outages downtime sev",
    "postmortem post-mortem retro retrospective",
    "alert alerts alerting page paging pager pagerduty",
    "oncall on-call rotation pager",
    "monitor monitoring observability",
    "metric metrics prometheus telemetry instrumentation histogram counter gauge",
    "dashboard dashboards grafana chart charts graph graphs panel",
    "log logs logging logger",
    "trace traces tracing span",
    "crash crashes crashing segfault anr",
    "error errors exception exceptions panic",
    "retry retries backoff",
    "runbook runbooks playbook",
    "slo sla availability uptime",
    "status statuspage",
    "cost costs spend spending budget bill expensive cheap saving savings",
    # infrastructure
    "kubernetes k8s cluster clusters eks gke kubectl pod pods",
    "helm chart charts",
    "terraform iac infrastructure",
    "docker container containers image images",
    "dns domain domains nameserver",
    "certificate certificates cert certs tls ssl https",
    "secret secrets credential credentials password passwords token tokens",
    "vault secrets",
    "config configuration configure settings setting",
    "environment env staging production prod",
    "server servers host hosts instance instances node nodes",
    "aws amazon s3 ec2",
    "cloud aws gcp azure",
    # security and compliance
    "security secure vulnerability vulnerabilities cve exploit",
    "pentest penetration",
    "audit audits auditor compliance sox soc2",
    "privacy pii gdpr personal",
    "permission permissions access rbac authorization",
    "login signin sign-in auth authentication sso oauth oidc saml",
    "encrypt encryption crypto cryptography",
    # code and review
    "commit commits",
    "branch branches",
    "push force-push",
    "review reviews reviewer reviewing approve approval approver",
    "pr prs pull merge",
    "refactor refactoring cleanup rewrite restructure",
    "dependency dependencies package packages library libraries lib crate crates module",
    "upgrade upgrading bump update version versions",
    "deprecate deprecated deprecation sunset eol remove",
    "api apis endpoint endpoints route routes",
    "breaking incompatible backwards compatibility",
    "comment comments docstring docstrings",
    "naming name names rename",
    "script scripts shell bash zsh fish terminal",
    "editor ide vim neovim nvim vscode emacs",
    "shortcut shortcuts keybinding keybindings binding bindings hotkey keymap",
    "notebook notebooks jupyter ipynb",
    "python py pip",
    "javascript js node nodejs npm",
    "typescript ts",
    "rust cargo rustc",
    "go golang",
    "kotlin android",
    "swift ios iphone ipad",
    "feature flag flags toggle toggles launchdarkly",
    # product surfaces
    "frontend front-end ui web browser client",
    "backend back-end server service services",
    "mobile app apps phone android ios device devices",
    "store appstore testflight play",
    "button buttons component components widget widgets",
    "css style styles styling tailwind theme",
    "design mockup mockups figma",
    "accessibility a11y aria wcag screenreader keyboard",
    "translation translations translate i18n l10n localization locale locales language",
    "offline connectivity sync",
    "bundle bundles webpack vite chunk",
    "screenshot screenshots image",
    # money
    "payment payments pay charge charges billing invoice invoices transaction",
    "refund refunds chargeback reversal",
    "money amount amounts price prices cents decimal",
    "currency currencies fx exchange",
    "customer customers client clients tenant account",
    # time and planning
    "deadline deadlines due eta target milestone",
    "date dates timestamp timestamps datetime",
    "timezone timezones tz utc",
    "schedule scheduled cron nightly daily weekly",
    "job jobs task tasks batch",
    "plan planning roadmap quarter okr okrs",
    "meeting meetings call calls sync standup calendar",
    "vacation holiday holidays pto leave ooo away absent",
    "weekend evening evenings after-hours",
    # people and communication
    "manager boss lead",
    "owner owns owned maintainer responsible contact",
    "team teammate teammates colleague colleagues",
    "hire hiring interview interviews candidate candidates recruiting",
    "mentor mentoring junior juniors onboarding",
    "chat slack channel channels",
    "ticket tickets issue issues bug bugs tracker jira linear",
    "doc docs documentation readme wiki notion confluence",
    "decision decisions adr adrs",
    "explain explanation teach learn learning beginner",
    "answer answers response responses reply replies",
    "short concise brief terse succinct",
    "long verbose lengthy wordy",
    "color colour colors colours palette",
    "spelling british american",
    "ml machine-learning model models training train classifier",
    "experiment experiments tracking mlflow",
    "seed seeds random reproducible reproducibility deterministic",
    "holdout validation split",
    "label labels leakage leak",
    "pipeline pipelines dag dags airflow dagster etl",
    "feature features",
)

# Function words of the languages the tokenizer recognises besides English: a text is
# taken to be in the language whose words it uses most (see `tokenize.detect_language`),
# and they are dropped as stop words in that language. Snowball stems each language.
OTHER_LANGUAGES: dict[str, frozenset[str]] = {
    language: frozenset(words.split())
    for language, words in {
        "german": """
            aber alle als also am an auch auf aus bei bin bis bitte da damit dann das
            dass dem den denn der des die dies diese diesem diesen dieser doch dort du
            durch ein eine einem einen einer eines er es etwas für gegen hat hatte
            haben ich ihr im in ist ja jetzt kann kein keine mit muss nach nicht noch
            nun nur ob oder ohne sein sich sie sind so soll sollen über um und uns
            unser unsere unter vom von vor war waren was weil welche wenn wer werden
            wie wir wird wo zu zum zur
            """,
        "french": """
            au aux avec ce ces cette comme dans de des du elle en est et être il ils
            je la le les leur mais me même mes moi mon ne nos notre nous on ou où par
            pas pour qu que quel quelle qui sa se ses si son sont sur ta te tes toi
            ton tu un une vos votre vous
            """,
        "spanish": """
            al algo como con cuando de del desde donde el ella ellos en entre era es
            esa ese esta este esto estos fue ha hay la las le les lo los más me mi
            muy nos nosotros o para pero por porque que qué se ser si sin sobre su
            sus también te tu un una uno unos y ya yo
            """,
        "italian": """
            al alla alle anche che chi come con cosa da dal dalla dei del della delle
            di dove e ed gli ha hanno il in io la le lei lo loro ma mi mio nel nella
            noi non o per perché più quando quella quello questa questo se si sono su
            sua suo tra tu un una uno vi voi
            """,
        "dutch": """
            aan al als bij dan dat de der deze die dit doen door een en er geen had
            heb hebben heeft hem het hier hij hoe hun ik in is ja je kan maar me met
            mij mijn moet na naar niet nog nu of om onder ons ook op over te tegen
            toch tot u uit van veel voor want waren was wat we wel werd wie wij wil
            worden zal ze zich zij zijn zo zou
            """,
        "portuguese": """
            ao aos as com como da das de dele do dos e ela ele eles em entre era essa
            esse esta este eu foi há isso isto já lhe mais mas me meu minha muito na
            não nas nem no nos nós o os ou para pela pelo por quando que se sem ser
            seu sua são também te tem um uma você
            """,
    }.items()
}
# Words English shares with none of the above, to weigh against them.
ENGLISH_MARKERS: frozenset[str] = frozenset(
    """
    the and is are was were of to in for with that this what how when why who which
    do does did we you it on at be been not our your have has can should would will
    """.split()
)
