# keyward-konsollen, norsk bokmål.

## Ramme
skip-to-content = Hopp til innholdet
nav-label = Hovedmeny
nav-tokens = Tokens
nav-users = Brukere
nav-departments = Avdelinger
nav-user-types = Brukertyper
nav-settings = Innstillinger
nav-audit = Revisjonslogg
nav-verifier-keys = Verifiseringsnøkler
language = Språk
language-auto = Språk: nettleserens
language-apply = Bruk
logout = Logg ut
footer-api = REST-API og OpenAPI-dokumentasjon
go-back = Gå tilbake
go-home = Til konsollens forside

## Innlogging
login-title = Logg inn i administrasjonskonsollen
login-tenant = Kunde (tenant)
login-username = Brukernavn
login-password = Passord
login-submit = Logg inn
login-invalid = Ukjent bruker eller feil passord.
login-rate-limited = For mange mislykkede forsøk. Prøv igjen om { $minutes } minutter.
login-busy = Tjeneren er opptatt med andre innlogginger. Prøv igjen om noen sekunder.
login-locked = Denne brukeren er sperret. Be en annen administrator om å oppheve sperren.
login-inactive = Denne brukeren er utenfor ansettelsesperioden sin.
login-not-admin = Bare administratorer kan bruke konsollen.
login-logged-out = Du er logget ut.

## Vanlige ord
save = Lagre
cancel = Avbryt
add = Legg til
delete = Slett
remove = Fjern
rename = Gi nytt navn
choose = Velg …
copy = Kopier
copied = Kopiert!
show = Vis
hide = Skjul
never = Aldri
never-used = Aldri
select-all = Velg alle rader
select-row = Velg { $name }
removed-by = av { $name }
back-to-list = Tilbake til listen

## Relative tider
time-now = akkurat nå
time-in-minutes = { $count ->
    [one] om 1 minutt
   *[other] om { $count } minutter
}
time-minutes-ago = { $count ->
    [one] for 1 minutt siden
   *[other] for { $count } minutter siden
}
time-in-hours = { $count ->
    [one] om 1 time
   *[other] om { $count } timer
}
time-hours-ago = { $count ->
    [one] for 1 time siden
   *[other] for { $count } timer siden
}
time-in-days = { $count ->
    [one] om 1 dag
   *[other] om { $count } dager
}
time-days-ago = { $count ->
    [one] for 1 dag siden
   *[other] for { $count } dager siden
}
time-in-months = { $count ->
    [one] om 1 måned
   *[other] om { $count } måneder
}
time-months-ago = { $count ->
    [one] for 1 måned siden
   *[other] for { $count } måneder siden
}
time-in-years = { $count ->
    [one] om 1 år
   *[other] om { $count } år
}
time-years-ago = { $count ->
    [one] for 1 år siden
   *[other] for { $count } år siden
}

## Sider og filtre
pager-label = Sider
pager-previous = Forrige
pager-next = Neste
pager-position = Side { $page } av { $pages } ({ $total } i alt)
pager-total = { $total ->
    [one] 1 oppføring
   *[other] { $total } oppføringer
}
filter-search = Søk
filter-status = Status
filter-apply = Filtrer
filter-status-all = Alle
filter-status-active = Aktive
filter-status-expiring = Utløper snart
filter-status-revoked = Tilbakekalte
filter-status-expired = Utløpte
filter-status-disabled = Deaktiverte
filter-status-stale = Ubrukt (inaktivt)

## Statuser
status-active = Aktiv
status-expired = Utløpt
status-revoked = Tilbakekalt
status-disabled = Deaktivert
status-stale = Ubrukt
status-stale-hint = Ikke brukt på { $days } dager eller mer: keyward merker det etter kundens regel for inaktive tokens.

## Et tokens stilling: hva en kontroll ville svart nå (`effective_status`)
field-standing = Kontroll nå
filter-standing = Kontroll
filter-standing-VALID = Godtas
filter-standing-refused = Avvises, uansett grunn
filter-standing-USER_LOCKED = Avvises: eieren er sperret
filter-standing-USER_INACTIVE = Avvises: eieren er utenfor ansettelsesperioden
filter-standing-FORBIDDEN = Avvises: medlemskapet er fjernet
filter-standing-USAGE_EXCEEDED = Avvises: ingen bruk igjen
standing-VALID = Godtas
standing-NOT_FOUND = Avvises: finnes ikke
standing-EXPIRED = Avvises: utløpt
standing-REVOKED = Avvises: tilbakekalt
standing-DISABLED = Avvises: deaktivert
standing-FEATURE_DISABLED = Avvises: API-tokens er slått av
standing-USER_LOCKED = Avvises: eieren er sperret
standing-USER_INACTIVE = Avvises: eieren er utenfor ansettelsesperioden
standing-FORBIDDEN = Avvises: medlemskapet er fjernet
standing-IP_NOT_ALLOWED = Avvises: adressen er ikke tillatt
standing-RATE_LIMITED = Avvises: grensen for forespørsler er nådd
standing-USAGE_EXCEEDED = Avvises: ingen bruk igjen
standing-why-VALID = En kontroll godtar dette tokenet nå.
standing-why-NOT_FOUND = En kontroll finner ikke dette tokenet.
standing-why-EXPIRED = Tokenet har passert utløpsdatoen; alle kontroller avviser det.
standing-why-REVOKED = Tokenet er tilbakekalt; alle kontroller avviser det.
standing-why-DISABLED = Tokenet er deaktivert; kontroller avviser det til det aktiveres igjen.
standing-why-FEATURE_DISABLED = API-tokens er slått av for denne leietakeren; kontroller avviser alle API-tokens til de slås på under Innstillinger.
standing-why-USER_LOCKED = Tokenets bruker er sperret; kontroller avviser det til brukeren låses opp.
standing-why-USER_INACTIVE = Tokenets bruker er utenfor ansettelsesperioden; kontroller avviser det til perioden omfatter i dag.
standing-why-FORBIDDEN = Tokenets bruker har ikke lenger avdelingen og brukertypen; kontroller avviser det til medlemskapet legges til igjen.
standing-why-IP_NOT_ALLOWED = Kontroller fra denne adressen avvises.
standing-why-RATE_LIMITED = Tokenet har nådd grensen for forespørsler for nå.
standing-why-USAGE_EXCEEDED = Tokenet har ingen bruk igjen; kontroller avviser det.
standing-to-user = Åpne { $name }
user-tokens-title = API-tokens
user-tokens-empty = Denne brukeren eier ingen API-tokens.
user-tokens-all = Finn dem i tokenlisten
user-sessions-title = Mobilbrukere pålogget
user-sessions-empty = Denne brukeren er ikke logget inn på noen telefon.
user-listed-first = De første { $shown } av { $total }.
user-inactive-ended = Inaktiv: perioden er slutt
user-inactive-not-started = Inaktiv: perioden har ikke begynt
user-inactive-title = Utenfor ansettelsesperioden: kontroller avviser brukerens tokens og økter.
expiring-soon = Utløper snart
expiring-soon-title = Utløper innen { $days } dager

## Kolonner
col-token-name = Token Navn
col-user = Bruker
col-department-user-type = Avdeling og brukertype
col-token = Token
col-expiry = Utløpsdato
col-last-used = Sist brukt
col-status = Status
col-removal-date = Fjernet dato
col-username = Brukernavn
col-email = E-post
col-department = Avdeling
col-user-type = Brukertype
col-last-active = Sist aktiv
col-display-name = Navn
col-roles = Roller
col-employment = Ansettelsesperiode
col-name = Navn
col-created = Opprettet
col-permissions = Tillatelser
col-when = Når
col-who = Hvem
col-action = Handling
col-object = Objekt
col-ip = IP-adresse
col-details = Detaljer

## Felt
field-token-name = Token Navn
field-api-token = API Token
field-verifier-key = Verifiseringsnøkkel
verifier-keys-title = Verifiseringsnøkler
verifier-keys-intro = En verifiseringsnøkkel er det en beskyttet tjeneste (en gateway, et API) sender når den spør keyward om et token er gyldig: Authorization: Bearer kwv_… på /api/v1/verify, eller som klientlegitimasjon for /oauth2/introspect. Den gjør hver kontroll til en kontroll av denne leietakerens tokens, og kan ikke noe annet. Lag én per tjeneste; for å bytte den, lag en ny nøkkel, ta den i bruk, og slett den gamle.
verifier-keys-new = Ny verifiseringsnøkkel
verifier-keys-name-hint = f.eks. gateway for ordre-API
verifier-keys-create = Lag verifiseringsnøkkel
verifier-keys-empty = Ingen verifiseringsnøkler ennå.
verifier-key-secret-title = Din nye verifiseringsnøkkel
verifier-key-secret-intro = Verifiseringsnøkkelen for { $name } er klar. Gi den bare til den tjenesten.
confirm-delete-verifier-key = Slette denne verifiseringsnøkkelen? Tjenesten som sender den, kan ikke lenger be om kontroller.
field-tenant-id = Tenant Id
field-description-of-use = Bruksbeskrivelse
field-expiry-date = Utløpsdato
field-associated-user = Tilknyttet bruker
field-department-user-type = Avdeling og brukertype
field-select-user = Velg bruker
field-select-membership = Velg avdeling og brukertype
field-description = Beskrivelse
field-created = Opprettet
field-last-used = Sist brukt
field-last-active = Sist aktiv
field-status = Status
field-removal-date = Fjernet dato
field-username = Brukernavn
field-email = E-post
field-department = Avdeling
field-user-type = Brukertype
field-display-name = Visningsnavn
field-roles = Roller
field-is-admin = Administrator (medlem av Administratorer-gruppen)
field-is-technical = Teknisk bruker (for integrasjoner)
field-employment-period = Ansettelsesperiode
field-active-from = Aktiv fra
field-active-until = Aktiv til
field-password = Passord
field-name = Navn
field-permissions = Tillatelser

## Tokens
tokens-title = Administrator / Tokens
tokens-tabs = Tokentyper
tokens-tab-api = API-tokens
tokens-tab-mobile = Mobilbrukere pålogget
tokens-api-intro = Tokens som eksterne applikasjoner og kode bruker for å integrere med systemet. Hvert token opptrer som sin bruker, begrenset til én avdeling og brukertype.
tokens-mobile-intro = Hvem som er logget inn i mobilappen. Slett en økt for å logge ut enheten.
tokens-new = Nytt API-token
tokens-search-placeholder = Navn, bruker, avdeling, beskrivelse eller hint (kwa_GfqB)
mobile-search-placeholder = Brukernavn
tokens-empty = Ingen API-tokens passer.
mobile-empty = Ingen er logget inn i mobilappen.
tokens-selected = { $count } valgt
tokens-expiring-callout = { $count ->
    [one] 1 aktivt token utløper innen { $days } dager.
   *[other] { $count } aktive tokens utløper innen { $days } dager.
}
tokens-expiring-show = Vis dem
sort-by = Sorter etter { $column }
bulk-delete = Slett valgte
tokens-disabled-title = API-tokens er slått av
tokens-disabled = API-tokens er slått av for denne kunden. En administrator kan slå dem på under Innstillinger.
tokens-disabled-to-settings = Slå på API-tokens under Innstillinger
tokens-disabled-to-mobile = Se mobiløktene, som fortsatt virker

## Opprett token
token-new-title = Opprett ny API-token
token-new-intro = Tokenet har tillatelsene til den valgte brukeren, begrenset til én av brukerens avdelinger og brukertyper.
token-expiry-hint = Ikke lenger enn { $days } dager (senest { $date }). Høyst 12 måneder anbefales for et enkelt token.
token-expiry-hint-unlimited = Denne kunden har ingen maksimal levetid. La datoen stå tom for et token som aldri utløper.
token-never-expires-warning = Advarsel: et token uten utløpsdato virker til noen tilbakekaller det.
token-expiry-presets = Hurtigvalg
token-expiry-preset-days = { $count ->
    [one] 1 dag
   *[other] { $count } dager
}
token-expiry-preset-year = 1 år
token-technical-only = Bare tekniske brukere som er innenfor ansettelsesperioden i dag, vises (kundeinnstilling).
token-no-owners = Ingen bruker kan eie et token ennå: opprett først en bruker med et medlemskap.
token-membership-hint = Bare den valgte brukerens medlemskap tilbys.
token-minimal-permissions = For å garantere datasikkerhet, gi tokenet bare de minimale tillatelsene integrasjonen trenger.

## Vist én gang
secret-title = Din nye API-token
secret-regenerated-title = Tokenets nye hemmelighet
secret-intro = Kopier tokenet for «{ $name }» nå og oppbevar det trygt.
secret-warning-title = Du får ikke se det igjen.
secret-warning = keyward lagrer bare et fingeravtrykk av tokenet; når du forlater denne siden, kan ingen vise det igjen.
secret-done = Jeg har kopiert det: vis tokenet
secret-not-stored = Selve tokenet vises bare én gang, når det opprettes eller genereres på nytt.

## Tokendetaljer
api-token-title = API-token
mobile-token-title = Mobilapp-økt
usage-text = Send tokenet i Authorization-headeren i hver forespørsel («Authorization: Bearer …»). Slik sjekker du det mot denne serveren:
usage-header-text = Integrasjonen sender denne headeren med hver forespørsel den gjør:
usage-check-text = Slik sjekker du tokenet mot denne serveren:
usage-api-text = Et ferdig kall til API-et deres med tokenet, slik integrasjonen gjør det:
usage-set-api-base-url = Angi basis-URL-en for API-et deres for en linje som kaller API-et i stedet.
permissions-none = Ingen
token-permissions-hint = Det brukertypen { $name } gir; tokenet bærer aldri mer enn brukeren har.
permissions-edit = Rediger brukertypen
field-limits = Begrensninger
limit-addresses = Tillatte IP-adresser
limit-anywhere = Hvor som helst
limit-addresses-hint = Én adresse eller ett CIDR-område per linje (10.0.0.0/8, 2001:db8::/32). Tomt: fra hvor som helst. En kontroll fra et annet sted svarer IP_NOT_ALLOWED.
limit-rate = Grense for forespørsler
limit-rate-value = { $requests } kontroller per { $seconds } sekunder
limit-rate-requests = Kontroller
limit-rate-per = per
limit-rate-seconds = sekunder
limit-rate-hint = Godkjente kontroller per tidsvindu, på hver keyward-node; utover det, RATE_LIMITED. Begge tomme: ingen grense.
limit-none = Ingen
limit-uses = Gjenværende bruk
limit-unlimited = Ubegrenset
limit-uses-hint = Godkjente kontroller igjen i alt; ved 0 svarer hver kontroll USAGE_EXCEEDED. Tomt: ubegrenset.
field-created-by = Opprettet av
created-by-system = keyward (oppstart eller import)
token-settings-title = Navn, beskrivelse og begrensninger
token-settings-intro = Å gi tokenet nytt navn eller begrense det endrer ikke hemmeligheten; kontroller ser endringen med en gang.
error-description-too-long = Beskrivelsen er lengre enn 2000 tegn.
error-invalid-cidr = «{ limit-addresses }»: hver linje må være en IP-adresse eller et CIDR-område, som 10.0.0.0/8.
error-invalid-rate-limit = «{ limit-rate }»: oppgi både kontroller (1 til 1 000 000) og sekunder (1 til 86 400), eller ingen av dem.
error-invalid-uses-remaining = «{ limit-uses }»: skriv et helt tall, eller la feltet stå tomt for ubegrenset.
reveal = Vis token
revealed-audited = Visning av et token registreres i revisjonsloggen.
regenerate = Generer på nytt
revoke = Tilbakekall
enable = Aktiver
disable = Deaktiver
confirm-regenerate = Gi tokenet en ny hemmelighet? Integrasjoner som bruker den gamle, slutter å virke.
confirm-revoke = Tilbakekalle tokenet? Det slutter å virke med en gang og blir stående i listen med fjernet dato.

## Bekreft sletting
confirm-delete-title = Slett tokens
confirm-delete-text = { $count ->
    [one] Dette tokenet slettes. Det forsvinner fra alle lister og kan aldri brukes igjen.
   *[other] Disse { $count } tokenene slettes. De forsvinner fra alle lister og kan aldri brukes igjen.
}
confirm-delete-button = { $count ->
    [one] Slett 1 token
   *[other] Slett { $count } tokens
}
confirm-delete-nothing = Ingenting var valgt.
confirm-delete-yours = Eies av deg

## Endringer som kan stanse integrasjoner, holdt til de er bekreftet
confirm-change-intro = Denne endringen kan stanse integrasjoner med en gang. Les hva den gjør før du går videre.
confirm-tokens-off-title = Slå av API-tokens for denne leietakeren?
confirm-tokens-off-stop = { $count ->
    [one] Det ene aktive API-tokenet slutter å virke med en gang: hver kontroll av det svarer FEATURE_DISABLED.
   *[other] Alle { $count } aktive API-tokens slutter å virke med en gang: hver kontroll av dem svarer FEATURE_DISABLED.
}
confirm-tokens-off-create = Ingen API-tokens kan opprettes, og Tokens-menyen er skjult til API-tokens slås på igjen.
confirm-tokens-off-mobile = Mobiløkter virker fortsatt.
confirm-show-once-title = Vise hemmeligheter bare én gang fra nå av?
confirm-show-once-erase = Hver lagrede kopi av en hemmelighet (for API-tokens og endepunkt-tokens) slettes for godt: ingen hemmelighet laget hittil kan vises eller kopieres igjen.
confirm-show-once-working = Tokenene virker fortsatt. En hemmelighet som er tapt, kan bare erstattes ved å generere tokenet på nytt.
confirm-type-name = Skriv leietakerens navn, { $name }, for å bekrefte:
confirm-settings-button = Lagre innstillingene
error-confirm-mistyped = Navnet du skrev, er ikke leietakerens navn. Ingenting ble endret.
confirm-endpoint-public-title = Gjøre dette endepunktet offentlig?
confirm-endpoint-public-open = Alle som kjenner adressen, { $name }, kan da sende det poster og lese dem, uten token.
confirm-endpoint-public-primaries = Primærtokenene slettes, og ingen endepunkt-tokens kreves.
confirm-endpoint-button = Gjør det offentlig
confirm-delete-own = { $count ->
    [one] Dette omfatter ditt eget API-token. Skript og integrasjoner som kaller keywards API med det, slutter å virke.
   *[other] Dette omfatter { $count } av dine egne API-tokens. Skript og integrasjoner som kaller keywards API med dem, slutter å virke.
}
confirm-delete-own-last = Det er alle dine aktive API-tokens: etterpå når du keywards API bare med et nytt token laget her i konsollen.
confirm-delete-own-session = { $count ->
    [one] Dette omfatter din egen mobiløkt: den telefonen logges ut.
   *[other] Dette omfatter { $count } av dine egne mobiløkter: de telefonene logges ut.
}

## Meldinger etter en handling
notice-created = Opprettet.
notice-saved = Lagret.
notice-verifier-key-deleted = Verifiseringsnøkkelen er slettet: tjenesten som hadde den, kan ikke lenger be om kontroller.
notice-record-deleted = Posten er slettet.
notice-deleted = { $count ->
    [one] Slettet.
   *[other] { $count } slettet.
}
notice-revoked = Tokenet er tilbakekalt: det virker ikke lenger.
notice-grace-ended = Overgangsperioden er over: den forrige hemmeligheten virker ikke lenger.
notice-enabled = Tokenet er aktivert.
notice-disabled = Tokenet er deaktivert: det virker ikke før det aktiveres igjen.
notice-locked = Brukeren er sperret: brukerens tokens og økter slutter å virke med en gang.
notice-unlocked = Sperren er opphevet.
notice-membership-added = Medlemskap lagt til.
notice-membership-removed = Medlemskap fjernet.

## Brukere
users-title = Brukere
users-new = Ny bruker
users-search-placeholder = Brukernavn, navn eller e-post
users-empty = Ingen brukere passer.
role-admin = Administrator
role-technical = Teknisk
user-locked = Sperret
user-unlocked = Aktiv
employment-hint = Utenfor denne perioden virker ikke brukerens tokens og økter. La stå tomt for ingen grense.
password-hint = For innlogging i konsollen og mobilappen; minst 10 tegn. La stå tomt for ingen innlogging.
password-hint-change = La stå tomt for å beholde passordet; minst 10 tegn.
password-remove = Fjern passordet (ingen innlogging i konsollen eller mobilappen)
memberships-title = Medlemskap
memberships-intro = Et medlemskap gir brukeren en brukertype i en avdeling. Et token bærer ett av dem.
memberships-empty = Ingen medlemskap ennå.
memberships-add = Legg til medlemskap
confirm-remove-membership = Fjerne medlemskapet? Tokens som bruker det, slutter å virke.
user-access-title = Tilgang
lock = Sperr bruker
unlock = Opphev sperre
confirm-lock = Sperre brukeren? Brukerens tokens og økter slutter å virke med en gang.
confirm-delete-user = Slette brukeren? Bare brukere som ikke eier tokens, kan slettes.
lock-hint = En sperret brukers tokens og økter slutter å virke med en gang, og virker igjen når sperren oppheves.
user-is-you = Dette er deg: en annen administrator må sperre eller slette brukeren din.

## Avdelinger og brukertyper
departments-title = Avdelinger
departments-new = Ny avdeling
departments-empty = Ingen avdelinger ennå.
confirm-delete-department = Slette avdelingen? Bare avdelinger som ingen medlemskap eller token bruker, kan slettes.
user-types-title = Brukertyper
user-types-intro = En brukertype er en rolle: et navn og tillatelsene den gir.
user-types-new = Ny brukertype
user-types-empty = Ingen brukertyper ennå.
no-permissions = ingen
permissions-hint = Én tillatelse per linje, for eksempel orders:read. En avsluttende * dekker en familie (orders:*); * alene gir alt, keyward:admin gir administrator-API-et.
confirm-delete-user-type = Slette brukertypen? Bare brukertyper som ingen medlemskap eller token bruker, kan slettes.

## Innstillinger
settings-title = Innstillinger
settings-features = Funksjoner
settings-api-tokens-enabled = API-tokens
settings-api-tokens-enabled-hint = Når de er slått av, kan API-tokens verken opprettes eller brukes, og Tokens-menyen viser bare mobiløkter. Mobiløkter påvirkes ikke.
settings-require-technical-user = Bare tekniske brukere kan eie API-tokens
settings-require-technical-user-hint = Når dette er på, kan bare tekniske brukere som er innenfor ansettelsesperioden på opprettelsesdatoen, velges.
settings-secret-storage = Tokenhemmeligheter
settings-show-once = Vis én gang: hemmeligheten vises bare når den opprettes eller genereres på nytt
settings-recoverable = Gjenopprettbar: lagres også kryptert, så administratorer kan vise den senere (revideres)
settings-secret-storage-hint = Bytte til «vis én gang» sletter alle lagrede kopier.
settings-max-lifetime = Maksimal levetid for tokens (dager)
settings-max-lifetime-hint = 365 betyr «ikke lenger enn 12 måneder». 0 tillater tokens som aldri utløper.
settings-default-lifetime = Standard levetid for tokens (dager)
settings-default-lifetime-hint = Brukes når ingen utløpsdato er oppgitt.
settings-mobile-days = Levetid for mobiløkter (dager)
settings-mobile-days-hint = Forlenges hver gang appen brukes.
settings-expiry-notice-days = Varsel før utløp (dager)
settings-expiry-notice-days-hint = Et token som utløper innen så mange dager, merkes som snart utløpende og meldes én gang til webhookene (token.expiring). 0 sender ikke varsel.
settings-api-base-url = Basis-URL for API-et
settings-api-base-url-hint = API-et som integrasjonene deres kaller med tokenene sine. Den ferdige linjen på tokensiden kaller det; uten den kontrollerer linjen tokenet mot keyward.
settings-flag-unused-days = Merk tokens som ikke er brukt på (dager)
settings-flag-unused-days-hint = Et API-token eller en mobiløkt som ikke er brukt på så mange dager (regnet fra opprettelsen hvis det aldri er brukt), merkes som ubrukt og meldes én gang til webhookene (token.stale). En bruk lagres innen 2 sekunder (serverens skriveintervall). 0 er av.
settings-revoke-unused-days = Tilbakekall tokens som ikke er brukt på (dager)
settings-revoke-unused-days-hint = Et API-token eller en mobiløkt som ikke er brukt på så mange dager, tilbakekalles av keyward (årsak: ubrukt), på alle noder med en gang; det kan ikke angres. Lengre enn merkeperioden når begge er på. 0 er av.

## Revisjonslogg
audit-title = Revisjonslogg
audit-action = Handling
audit-object-type = Objekt
audit-from = Fra
audit-to = Til
audit-empty = Ingen hendelser passer.
object-token = Token
object-user = Bruker
object-department = Avdeling
object-user_type = Brukertype
object-settings = Innstillinger
object-tenant = Kunde
# The audit log's names, filters, details and exports (issue 13)
audit-all-actions = Alle handlinger
audit-deleted = slettet
audit-history = Historikk
audit-history-of = Historikken til { $name }
audit-actions-of = Handlinger utført av { $name }
audit-filter-link = Brukerens handlinger
audit-show-all = Vis alle hendelser
audit-history-link = Historikk i revisjonsloggen
audit-actions-link = Brukerens handlinger i revisjonsloggen
audit-export = Eksporter dette utvalget:
audit-export-limit = En eksport inneholder de { $limit } nyeste hendelsene; snevre inn utvalget for eldre.
audit-yes = ja
audit-no = nei
error-invalid-actor = Utføreren i adressen er ikke en brukers id.
object-mobile_session = Mobiløkt
object-login = Innlogging
object-endpoint_record = Endepunktpost
object-verifier_key = Verifiseringsnøkkel
audit-key-reason = Årsak
audit-key-name = Navn
audit-key-username = Brukernavn
audit-key-hint = Tokenhint
audit-key-kind = Type
audit-key-user_id = Bruker
audit-key-endpoint_id = Endepunkt
audit-key-expires_at = Utløper
audit-key-grace_until = Gammel hemmelighet virker til
audit-key-description = Beskrivelse
audit-key-enabled = Aktivert
audit-key-allowed_cidrs = Tillatte IP-adresser
audit-key-rate_limit = Hastighetsgrense
audit-key-uses_remaining = Gjenstående bruk
audit-key-url = URL
audit-key-events = Hendelser
audit-key-is_admin = Administrator
audit-key-is_technical = Teknisk bruker
audit-key-department = Avdeling
audit-key-user_type = Brukertype
audit-key-permissions = Rettigheter
audit-key-path = Sti
audit-key-method = Metode
audit-key-methods = Metoder
audit-key-source = Kilde
audit-key-device_name = Enhet
audit-key-email = E-post
audit-key-display_name = Visningsnavn
audit-key-locked = Låst
audit-key-active_from = Ansatt fra
audit-key-active_until = Ansatt til
audit-key-password = Passord
audit-key-sessions = Økter
audit-key-mobile_sessions_ended = Mobiløkter avsluttet
audit-key-event_type = Hendelse
audit-key-membership_id = Medlemskaps-id
audit-key-delivery_id = Leverings-id
audit-key-endpoint_name = Endepunkt
audit-key-primary_tokens = Primærtokens
audit-key-department_id = Avdelings-id
audit-key-user_type_id = Brukertype-id
audit-key-old_permissions = Rettigheter før
action-token-created = Token opprettet
action-token-updated = Token endret
action-token-enabled = Token aktivert
action-token-disabled = Token deaktivert
action-token-regenerated = Token fornyet
action-token-revealed = Token vist
action-token-revoked = Token tilbakekalt
action-token-deleted = Token slettet
action-token-expiring = Token utløper snart
action-token-leaked = Token meldt lekket
action-token-grace_ended = Overgangsperioden avsluttet
action-token-imported = Token importert
action-mobile_session-created = Mobilinnlogging
action-mobile_session-deleted = Mobiløkt avsluttet
action-user-created = Bruker opprettet
action-user-updated = Bruker endret
action-user-locked = Bruker låst
action-user-unlocked = Bruker låst opp
action-user-deleted = Bruker slettet
action-membership-added = Medlemskap lagt til
action-membership-removed = Medlemskap fjernet
action-console-login = Konsollinnlogging
action-console-logout = Konsollutlogging
action-console-session_deleted = Konsolløkter avsluttet
action-login-failed = Innlogging avvist
action-department-created = Avdeling opprettet
action-department-updated = Avdeling omdøpt
action-department-deleted = Avdeling slettet
action-user_type-created = Brukertype opprettet
action-user_type-updated = Brukertype endret
action-user_type-deleted = Brukertype slettet
action-endpoint-created = Endepunkt opprettet
action-endpoint-updated = Endepunkt endret
action-endpoint-enabled = Endepunkt aktivert
action-endpoint-disabled = Endepunkt deaktivert
action-endpoint-deleted = Endepunkt slettet
action-endpoint_record-deleted = Endepunktpost slettet
action-endpoint_token-created = Endepunkt-token opprettet
action-endpoint_token-updated = Endepunkt-token endret
action-endpoint_token-enabled = Endepunkt-token slått på
action-endpoint_token-disabled = Endepunkt-token slått av
action-endpoint_token-deactivated = Endepunkt-token deaktivert
action-endpoint_token-retired = Endepunkt-token trukket tilbake (ubrukt)
action-endpoint_token-revoked = Endepunkt-token tilbakekalt (lekket)
action-endpoint_token-activated = Endepunkt-token aktivert igjen
action-endpoint_token-regenerated = Endepunkt-token fornyet
action-endpoint_token-revealed = Endepunkt-token vist
action-endpoint_token-deleted = Endepunkt-token slettet
action-endpoint_token-assigned = Endepunkt tildelt
action-endpoint_token-unassigned = Endepunkt fratatt
action-endpoint_token-assignment_enabled = Tildeling aktivert
action-endpoint_token-assignment_disabled = Tildeling deaktivert
action-endpoint_token-assignment_updated = Tildeling endret
action-webhook-created = Webhook opprettet
action-webhook-updated = Webhook endret
action-webhook-retried = Webhook-levering forsøkt på nytt
action-webhook-deleted = Webhook slettet
action-verifier_key-created = Verifiseringsnøkkel opprettet
action-verifier_key-updated = Verifiseringsnøkkel endret
action-verifier_key-deleted = Verifiseringsnøkkel slettet
action-settings-updated = Innstillinger endret
action-tenant-created = Kunde opprettet

## Feil
error-title = Det gikk ikke
error-query-title = Adressen kunne ikke leses
error-query = En del av adressen er ikke det denne siden venter, for eksempel et sidetall som ikke er et tall.
error-query-open = Åpne siden uten den
error-csrf-title = Skjemaet er utløpt
error-csrf = Skjemaet ble ikke sendt fra denne konsolløkten (sikkerhetstokenet mangler eller er foreldet). Last inn siden på nytt og prøv igjen.
error-login-csrf = Innloggingsskjemaet er utløpt. Last inn siden på nytt og prøv igjen.
error-form-title = Skjemaet kunne ikke leses
error-form = Noen av skjemaets verdier kunne ikke leses. Gå tilbake og sjekk dem.
error-control-character = En verdi inneholder et kontrolltegn, for eksempel et NUL-tegn, som keyward ikke lagrer. Gå tilbake, fjern det og prøv igjen.
error-not-found = Det finnes ikke, eller det er slettet.
error-conflict = Det navnet er allerede i bruk.
error-membership-exists = Brukeren har allerede den avdelingen og brukertypen.
error-path-taken = Et annet endepunkt har allerede den stien. Velg en annen.
error-in-use = Det er fortsatt i bruk (av et medlemskap eller et token), så det kan ikke slettes.
error-unavailable = Databasen er utilgjengelig. Ingenting ble endret; prøv igjen om litt.
error-internal = Noe gikk galt på serveren. Det er logget.
error-self-lockout = Det ville stengt din egen tilgang. Be en annen administrator om å gjøre det.
error-invalid-name = Skriv inn et navn (1 til 200 tegn, uten kontrolltegn).
error-invalid-username = Skriv inn et brukernavn: 1 til 64 bokstaver (a–z), sifre, punktum, bindestrek, understrek eller @.
error-invalid-email = Skriv inn en gyldig e-postadresse.
error-invalid-display-name = Skriv inn et visningsnavn (1 til 200 tegn).
error-invalid-date = Skriv inn en gyldig dato.
error-invalid-max-lifetime-days = «{ settings-max-lifetime }»: skriv inn et helt antall dager.
error-invalid-default-lifetime-days = «{ settings-default-lifetime }»: skriv inn et helt antall dager.
error-invalid-mobile-days = «{ settings-mobile-days }»: skriv inn et helt antall dager.
error-invalid-expiry-notice-days = «{ settings-expiry-notice-days }»: skriv inn et helt antall dager.
error-invalid-flag-unused-days = «{ settings-flag-unused-days }»: skriv inn et helt antall dager.
error-invalid-revoke-unused-days = «{ settings-revoke-unused-days }»: skriv inn et helt antall dager.
error-settings-max-lifetime-too-long = «{ settings-max-lifetime }» kan være høyst 36500 dager.
error-settings-default-lifetime-too-long = «{ settings-default-lifetime }» kan være høyst 36500 dager.
error-settings-never-expiring-under-maximum = «{ settings-default-lifetime }» kan bare være 0 (tokens som aldri utløper) når «{ settings-max-lifetime }» også er 0.
error-settings-default-beyond-maximum = «{ settings-default-lifetime }» kan ikke være lengre enn «{ settings-max-lifetime }».
error-settings-mobile-days-out-of-range = «{ settings-mobile-days }» må være fra 1 til 3650 dager.
error-settings-expiry-notice-too-long = «{ settings-expiry-notice-days }» må være fra 0 til 365 dager.
error-settings-api-base-url-invalid = «{ settings-api-base-url }» må være en http://- eller https://-adresse med vertsnavn, uten brukernavn, passord, #-del, anførselstegn eller mellomrom.
error-settings-flag-unused-too-long = «{ settings-flag-unused-days }» må være fra 0 til 3650 dager.
error-settings-revoke-unused-too-long = «{ settings-revoke-unused-days }» må være fra 0 til 3650 dager.
error-settings-revoke-unused-not-after-flag = «{ settings-revoke-unused-days }» må være lengre enn «{ settings-flag-unused-days }» når begge er på: ellers blir et token tilbakekalt før det merkes.
error-invalid-permission = En tillatelse kan bare inneholde små bokstaver, sifre og : . _ - (eventuelt avsluttet med *).
error-password-policy = Passordet må være minst 10 tegn.
error-choose-user = Velg en bruker.
error-choose-membership = Velg en avdeling og brukertype.
error-membership-of-other-user = Den avdelingen og brukertypen står oppført under en annen bruker. Velg en som står under den valgte brukeren.
error-nothing-selected = Ingenting ble slettet: velg minst ett token først.
error-not-a-member = Brukeren har ikke den avdelingen og brukertypen.
error-not-technical-user = Bare tekniske brukere kan eie API-tokens hos denne kunden.
error-user-inactive = Brukeren er utenfor ansettelsesperioden sin.
error-user-locked = Brukeren er sperret.
error-expiry-in-past = Utløpsdatoen må være i fremtiden.
error-expiry-beyond-policy = Utløpsdatoen er senere enn denne kunden tillater.
error-feature-disabled = API-tokens er slått av for denne kunden.
error-not-recoverable = Tokenets hemmelighet er ikke lagret, så den kan ikke vises. Generer den på nytt i stedet.
error-unknown-user = Den brukeren finnes ikke.

## Mobiløkter
col-device = Enhet
field-device = Enhet
field-logged-in = Logget inn
session-delete = Slett økten (logg ut enheten)
session-delete-hint = Når økten slettes, logges enheten ut med en gang; brukeren kan logge inn igjen.

## Oppfølging etter gjennomgang
token-expiry-hint-default = Denne kunden har ingen maksimal levetid. En tom dato betyr standarden på { $days } dager.
secret-warning-recoverable = Kopier det nå. Denne kunden lagrer tokenhemmeligheter gjenopprettbart, så en administrator kan vise det igjen fra tokenets side (hver visning registreres i revisjonsloggen).
error-token-revoked = Et tilbakekalt token kan ikke få en ny hemmelighet.
error-no-grace-period = Tokenet har ingen forrige hemmelighet i en overgangsperiode: bare den nåværende virker.

## Endepunkter
nav-endpoints = Endepunkter
nav-endpoint-tokens = Endepunkt-tokens
endpoints-title = Endepunkter
endpoints-intro = Integrasjonsendepunkter som keyward er vert for: applikasjoner sender JSON-poster med POST, leser dem med GET og, når det er tillatt, sletter dem med DELETE.
endpoints-new = Nytt endepunkt
endpoints-empty = Ingen endepunkter ennå.
endpoint-path-hint = Segmenter med små bokstaver, skilt med /. Endepunktet svarer på { $base }/e/…
col-address = Adresse
col-auth-type = Autentisering
col-allow-deleting = Tillat sletting
col-method = Metode
col-assigned = Tildelt
col-description = Beskrivelse
col-assignment-enabled = Tildeling aktivert
col-application = Applikasjon (token)
col-may-read = Kan lese poster (GET)
col-may-delete = Kan slette poster
may-read-row = { $name } kan lese postene til dette endepunktet
may-delete-row = { $name } kan slette postene til dette endepunktet
col-data = Data
field-path = Sti
field-auth-type = Autentiseringstype
field-security = Sikkerhet
field-allow-deleting = Tillat sletting (et primært DELETE-token, og DELETE-forespørsler)
field-enabled = Aktivert
field-token = Token
auth-none = Ingen (alle kan kalle det)
auth-token = Token
yes = Ja
no = Nei
endpoint-data = Dataviser
endpoint-tabs = Endepunktinnstillinger
endpoint-tab-general = Generelt
endpoint-tab-tokens = Tokens
confirm-delete-endpoint = Slette endepunktet med primærtokens, tildelinger og poster?
primary-tokens = Primærtokens
primary-tokens-intro = Én per metode, generert når autentiseringen er Token (DELETE bare når sletting er tillatt). Bruk helst sekundærtokens for applikasjoner.
generate = Generer
secondary-tokens = Sekundærtokens
secondary-tokens-intro = Ett token per applikasjon. Kryss av «Tildelt» for å la en applikasjon bruke endepunktet; fjern «Tildeling aktivert» for å slå av den ene applikasjonen uten å røre de andre. En tildelt applikasjon kan sende poster (POST); kryss av «Kan lese poster» bare for dem som må lese det andre har sendt.
secondary-tokens-empty = Ingen sekundærtokens: legg dem til under Endepunkt-tokens.
hide-unassigned = Skjul ikke-tildelte
assign-row = Tildel { $name }
assignment-enabled-row = Tildelingen av { $name } er aktivert
endpoint-primaries-generated = Endepunktets nye primærtokens
endpoint-token-created = Din nye endepunkt-token
secret-done-continue = Jeg har kopiert det: fortsett
data-filter-token = Token (applikasjon)
data-chart-title = Forespørsler per applikasjon
data-chart-caption = Mottatte poster per applikasjon over tid.
data-anonymous = (ingen token)
data-none = Ingen poster i denne perioden.
data-empty = Ingen poster passer.
data-unreadable = (denne posten kan ikke leses som JSON; slett den hvis den ikke trengs)
confirm-delete-record = Slette denne posten for godt?
endpoint-tokens-intro = Sekundærtokens, ett per applikasjon, oppkalt etter den. Tildel dem til endepunkter; slå av ett for å stenge ute bare den applikasjonen.
endpoint-tokens-active = Aktive
endpoint-tokens-inactive = Inaktive
endpoint-tokens-empty = Ingen endepunkt-tokens her.
endpoint-token-name-hint = Bruk applikasjonens navn: dataviseren filtrerer på det.
toggle-on = På
toggle-off = Av
deactivate-token = Deaktiver token
activate-token = Aktiver token
assign-endpoint-tokens = Tildel endepunkter
token-settings = Tokeninnstillinger
assigned-endpoints = Tildelt til
assigned-none = Ikke tildelt noe endepunkt.
confirm-delete-endpoint-token = Slette endepunkt-tokenet? Applikasjoner som bruker det, stoppes med en gang.
notice-activated = Tokenet er aktivt igjen, og slått på.
notice-deactivated = Tokenet er deaktivert: det er slått av og står under Inaktive.
error-invalid-path = Skriv inn en sti med små bokstaver, sifre, - og _, i segmenter skilt med /.
object-endpoint = Endepunkt
object-endpoint_token = Endepunkt-token

## Skjemaer som virker én gang
already-sent-title = Dette skjemaet er allerede sendt
already-sent = Det som skulle gjøres, er gjort, og en hemmelighet som ble vist, vises ikke igjen. Åpne listen for å se resultatet, og begynn derfra om nødvendig.

## Webhooks
webhooks-title = Webhooks
webhooks-intro = En webhook sender hendelsene i denne tenanten (et token opprettet, tilbakekalt, slettet eller fornyet, et token som snart utløper eller er meldt lekket, en mobiløkt avsluttet) til en URL hos dere som signert JSON, slik Standard Webhooks beskriver. En mottaker som ikke svarer 2xx, prøves igjen med stadig lengre pauser i omtrent halvannet døgn.
webhooks-settings-intro = Send tokenhendelsene i denne tenanten til egne systemer: varsling, SIEM, en chattekanal.
webhooks-manage = Administrer webhooks
webhooks-new = Ny webhook
webhooks-name-hint = f.eks. driftsvarsling
webhooks-url = URL
webhooks-events = Hendelser
webhooks-event = Hendelse
webhooks-all-events = Alle hendelser, også de som kommer til senere
webhooks-some-events = Bare disse:
webhooks-create = Opprett webhook
webhooks-empty = Ingen webhooks ennå.
webhooks-secret = Signeringshemmelighet
webhooks-switch-off = Slå av
webhooks-switch-on = Slå på
webhooks-deliveries = Leveranser
webhook-secret-title = Signeringshemmeligheten til webhooken
webhook-secret-intro = Webhooken { $name } er klar. Mottakeren kontrollerer hver forespørsel med denne hemmeligheten.
webhook-secret-how = Hver forespørsel har webhook-id, webhook-timestamp og webhook-signature: v1, så base64 av HMAC-SHA256, med hemmelighetens dekodede byte som nøkkel, over id, tidsstempel og innhold skilt med punktum. Biblioteker for Standard Webhooks kontrollerer dette for dere.
confirm-delete-webhook = Slette denne webhooken og leveranseloggen? Hendelser som venter, blir ikke sendt.
event-token-created = et token ble opprettet
event-token-revoked = et token ble tilbakekalt
event-token-deleted = et token ble slettet
event-token-regenerated = et token fikk ny hemmelighet
event-token-expiring = et token utløper snart (varselperioden i innstillingene)
event-token-stale = et token er ikke brukt i merkeperioden i innstillingene
event-token-leaked = et token ble meldt lekket og tilbakekalt
event-mobile-session-ended = en mobiløkt ble avsluttet
delivery-any = Alle
delivery-pending = Venter
delivery-delivered = Levert
delivery-failed = Mislyktes
delivery-attempts = Forsøk
delivery-last-answer = Siste svar
delivery-next = neste forsøk { $at }
delivery-retry = Prøv igjen nå
delivery-empty = Ingenting er sendt til denne webhooken ennå.
notice-webhook-deleted = Webhooken er slettet.
notice-webhook-enabled = Webhooken er på: nye hendelser sendes til den.
notice-webhook-disabled = Webhooken er av: nye hendelser sendes ikke til den.
notice-webhook-retried = Leveransen prøves igjen nå.
object-webhook = Webhook

## Regenerate with a new expiry and a grace period
regenerate-title = Generer tokenet på nytt
regenerate-intro = Tokenet får en ny hemmelighet, som vises én gang. Integrasjonene må bytte til den: i overgangsperioden virker den gamle hemmeligheten også.
regenerate-current-expiry = Nåværende utløp
regenerate-new-expiry = Ny utløpsdato
regenerate-expiry-hint = La feltet stå tomt for å beholde utløpsdatoen.
regenerate-grace = Den gamle hemmeligheten virker
regenerate-grace-hint = Lenge nok til at alle integrasjonene rekker å bytte. Velger du ikke i det hele tatt, slutter den gamle å virke med en gang.
grace-0 = Ikke i det hele tatt (slutter nå)
grace-3600 = I 1 time
grace-86400 = I 24 timer
grace-604800 = I 7 dager
field-previous-secret = Forrige hemmelighet
previous-secret-until = virker til
previous-secret-used = { $count ->
    [one] Brukt én gang siden den ble generert på nytt, sist { $ago }.
   *[other] Brukt { $count } ganger siden den ble generert på nytt, sist { $ago }.
}
previous-secret-unused = Ikke brukt siden den ble generert på nytt.
previous-secret-hint = Bruken telles på hver servernode og vises innen noen sekunder. Når tallet slutter å vokse, har alle integrasjonene byttet til den nye hemmeligheten.
end-grace = Avslutt overgangsperioden nå
confirm-end-grace = Avslutte overgangsperioden nå? Den forrige hemmeligheten slutter å virke med en gang på alle noder; bare den nåværende virker.
field-imported = Importert
imported-hint = Importert med en hemmelighet fra et annet system; generer det på nytt for å gi det en hemmelighet fra keyward.

## Endpoint tokens: the Enabled toggle apart from Deactivate / Activate
endpoint-token-enabled = Påslått
endpoint-token-enabled-row = Påslått: { $name }
endpoint-token-switch-off = Slå av: applikasjonen stenges ute fra alle endepunkter, og tokenet blir stående i denne listen.
endpoint-token-switch-on = Slå på: applikasjonen virker igjen på endepunktene den er tildelt.
deactivate-token-title = Ta tokenet ut av bruk: det slås av og flyttes til listen Inaktive.
activate-token-title = Flytt tokenet tilbake til listen Aktive, påslått.
notice-endpoint-token-enabled = Tokenet er slått på.
notice-endpoint-token-disabled = Tokenet er slått av: applikasjonen avvises på alle endepunkter til det slås på igjen.
assignment-enabled-new = Tildel tokenet først: en ny tildeling starter påslått.

## Logging phones out (deleting mobile sessions)
confirm-logout-title = Logg ut enheter
confirm-logout-text = { $count ->
    [one] Denne enheten logges ut av mobilappen med en gang. Brukeren kan logge inn igjen med passordet sitt.
   *[other] Disse { $count } enhetene logges ut av mobilappen med en gang. Brukerne kan logge inn igjen med passordene sine.
}
confirm-logout-button = { $count ->
    [one] Logg ut 1 enhet
   *[other] Logg ut { $count } enheter
}
data-primary-token = Primærtoken for { $method }

## The kinds of credential, as the audit log's details name them
audit-kind-api = API-token
audit-kind-mobile = Mobiløkt
audit-kind-primary = Primærtoken
audit-kind-secondary = Sekundærtoken
