// Every label of the dashboard in English and Russian, and the formatting of numbers and dates per language.
// Country and substance names come from the reference data (reference.js), not from here.

export const DICT = {
  en: {
    title: 'Seizure-exchange hub',
    subtitle: 'Analyst dashboard',
    skip: 'Skip to content',
    language: 'Language',
    signInTitle: 'Sign in',
    signInHelp:
      'Paste a bearer token (JWT) issued for you (for a local hub: npx hub token --role analyst --country KZ). It is kept in this browser tab only and forgotten when the tab closes.',
    token: 'Bearer token (JWT)',
    signIn: 'Sign in',
    signOut: 'Sign out',
    signingIn: 'Checking the token…',
    signedInAs: '{role} · {country} · clearance {clearance}',
    expires: 'expires {time}',
    errNotJwt: 'This is not a JWT: a token has three parts separated by dots (header.payload.signature).',
    errEmpty: 'Paste a token first.',
    TOKEN_MISSING: 'No token was sent.',
    TOKEN_INVALID: 'The hub refused this token.',
    TOKEN_EXPIRED: 'This token has expired. Ask for a new one.',
    TOKEN_NOT_YET_VALID: 'This token is not valid yet.',
    FORBIDDEN: 'Your role does not allow this.',
    QUERY_TIMEOUT:
      'The store took too long to answer, and the query was stopped. Narrow it (dates, country, drug).',
    TOO_MANY_REQUESTS: 'You have many queries running already. Wait for them to finish, then try again.',
    STORE_UNAVAILABLE: 'The hub cannot reach its store just now. Try again in a moment.',
    FEED_UNAVAILABLE: "This region's live feed cannot be followed just now. It will connect again by itself.",
    QUERY_API_BUSY: 'The hub is busy with the queries of many analysts. Try again in a moment.',
    MALFORMED_JSON: 'The hub could not read what was sent.',
    BODY_TOO_LARGE: 'What was sent is too long. Shorten the question.',
    VALIDATION_FAILED: 'The hub could not take what was asked as it was sent.',
    NOT_FOUND:
      'Not found: there is no such record, it was erased or withdrawn, or it is not released to you.',
    INTERNAL: 'The hub could not answer because of an error on its side.',
    QUERY_TIMEOUT_alerts:
      'The alerts could not be listed: the store took too long, or none of the newest alerts the hub looks through at once is one you may see. If this goes on, tell the hub operator.',
    quoteRequestId: 'Quote this id to the hub operator: {id}.',
    sessionEnded: 'Your session has ended.',
    errNetwork: 'The hub could not be reached.',
    errGeneric: 'Something went wrong.',
    navMain: 'Sections',
    navOverview: 'Overview',
    navAlerts: 'Alerts',
    navSearch: 'Search',
    overviewTitle: 'Route picture and statistics',
    refresh: 'Refresh now',
    updatedAt: 'Updated {time}; refreshes every {seconds} s',
    liveOn: 'Live: {regions}',
    loading: 'Loading…',
    mapTitle: 'Trafficking flows between countries',
    mapDesc: 'Legs of reported trafficking routes; line width grows with the quantity seized.',
    mapEmpty: 'No route legs are visible to you yet.',
    legTitle: '{from} → {to}: {count} seizures (per substance), {quantity} ({substances})',
    legsTable: 'Route legs as a table',
    notOnMap: 'not on the map',
    from: 'From',
    to: 'To',
    reports: 'Reports',
    seizureEntries: 'Seizures (per substance)',
    quantityKg: 'Quantity, kg',
    substances: 'Substances',
    lastSeen: 'Last seen',
    chartTimeTitle: 'Seizures over time',
    chartBy: 'Series',
    byDrug: 'by drug',
    byCountry: 'by country',
    total: 'All seizures',
    chartDrugTitle: 'Quantity seized by drug',
    chartCountryTitle: 'Quantity seized by country',
    chartEmpty: 'No seizures are visible to you yet.',
    chartTable: 'Data as a table',
    month: 'Month',
    kg: 'kg',
    kgValue: '{kg} kg',
    notWeighed: 'not weighed',
    plusCounted: '+ {items} (counted, not weighed)',
    alertsTitle: 'Cross-border alerts',
    alertsEmpty: 'No alerts are visible to you.',
    alertScore: 'score {score}',
    alertMatched: 'Matched reports',
    alertsOlder: 'Show older alerts',
    rule_shared_identifier: 'Shared conveyance identifier',
    rule_linked_case: 'Linked case',
    rule_route_and_concealment: 'Same route and concealment',
    rule_unknown: 'Other match',
    reason_shared_identifier: '{n} reports name the same identifier ({kind})',
    reason_shared_identifier_any: '{n} reports name the same conveyance identifier',
    reason_linked_case: '{n} reports are linked to the same {kind}',
    reason_linked_case_any: '{n} reports are linked to the same case',
    reason_route_and_concealment: '{n} reports within {days} days share the route and the concealment method',
    reasonWithheld: 'withheld by their handling, which you may not read: {n}',
    reasonWithheldOwn: 'reports you may not read that match yours: {n}',
    reasonOlder: 'more, of older seizures, not named: {n}',
    searchTitle: 'Search seizure reports',
    country: 'Country of seizure',
    drug: 'Drug',
    routeCountry: 'Country on the route',
    dateFrom: 'Seized from',
    dateTo: 'Seized to',
    pageSize: 'Rows per page',
    any: 'Any',
    drugsAllOfAKind: 'All of a kind',
    drugsOneSubstance: 'One substance',
    search: 'Search',
    reset: 'Reset',
    exportCsv: 'Export CSV',
    exportGeojson: 'Export routes (GeoJSON)',
    exported: 'Downloaded {file}.',
    exportNotApplied: 'Not applied, as the routes export has no such filter: {filters}.',
    exportCountryEitherEnd: 'Country: {country} at either end of a route leg, not only where seized.',
    exportedTruncated:
      'Downloaded {file}: the newest {count} reports only, and more match. Narrow the dates (or country, drug) to export the rest.',
    resultsCount: '{count} reports shown',
    resultsMore: '{count} reports shown; more match',
    resultsNone: 'No reports match these filters.',
    loadMore: 'Load more',
    seizedAt: 'Seized',
    place: 'Place',
    totalKg: 'Total, kg',
    route: 'Route',
    tlp: 'TLP',
    open: 'Open',
    recordTitle: 'Seizure report',
    back: 'Back',
    reportId: 'Report id',
    version: 'Version',
    status: 'Status',
    status_active: 'active',
    status_retracted: 'retracted',
    status_erased: 'erased',
    originCountry: 'Reported by',
    receivedAt: 'Received',
    agency: 'Agency',
    conveyance: 'Conveyance',
    concealment: 'Concealment',
    detection: 'Detection',
    arrested: 'Arrested',
    handling: 'Handling',
    releasableTo: 'Releasable to',
    evaluation: 'Evaluation',
    notes: 'Notes',
    drugs: 'Drugs',
    quantity: 'Quantity',
    unit: 'Unit',
    form: 'Form',
    purity: 'Purity, %',
    provenance: 'Provenance',
    verified: 'Signature verified',
    notVerified: 'Signature NOT verified',
    signer: 'Signer',
    certificateFingerprint: 'Certificate fingerprint',
    issuedBy: 'Certificate issued by',
    submittedBy: 'Sent to its node by',
    retractedBecause: 'Withdrawn because',
    signedAt: 'Signed',
    algorithm: 'Algorithm',
    messageId: 'Message id',
    kafkaPosition: 'Kafka position',
    certificate: 'Signer certificate (PEM)',
    history: 'Version history',
    supersededAt: 'Superseded',
    current: 'current',
    routeRole_origin: 'origin',
    routeRole_departure: 'departure',
    routeRole_transit: 'transit',
    routeRole_destination: 'destination',
    routeRole_seizure: 'place of seizure',
    routeRole_unknown: 'role not given',
    role_analyst: 'analyst',
    role_coordinator: 'coordinator',
    role_auditor: 'auditor',
    'role_node-operator': 'node operator',
    role_admin: 'administrator',
    locationType: 'Location type',
    navCooperation: 'Co-operation',
    cooperationTitle: 'Co-operation between countries',
    requestsTitle: 'Information requests',
    requestsHelp:
      'Requests between countries and their deadlines. Coordinators see every request; others those their country sent or was asked. Overdue requests come first.',
    requestStatusFilter: 'Status',
    reqStatus_open: 'open',
    reqStatus_overdue: 'overdue',
    reqStatus_escalated: 'escalated',
    reqStatus_partial: 'partly answered',
    reqStatus_answered: 'answered',
    reqOverdue: 'overdue',
    escalatedAt: 'escalated {time}',
    requester: 'Requester',
    addressee: 'Addressee',
    subject: 'Subject',
    urgency: 'Urgency',
    dueAt: 'Due',
    response: 'Response',
    respStatus_answered: 'answered',
    respStatus_partial: 'partly answered',
    respStatus_declined: 'declined',
    responseWithheld: 'content not releasable to you',
    requestWithheld: 'what was asked is not releasable to you',
    subject_report: 'Report',
    subject_identifier: 'Identifier',
    subject_route: 'Route',
    subject_other: 'Other',
    urgency_routine: 'routine',
    urgency_urgent: 'urgent',
    urgency_immediate: 'immediate',
    requestsCount: '{count} requests, {overdue} overdue',
    requestsNone: 'No requests match.',
    askTitle: 'Ask a country for information',
    askHelp:
      'As the coordination centre: the hub signs the request with its own key and sends it to the country’s national node, which answers by the due time (by urgency). The country, coordinators and you will see it in the list.',
    askTo: 'Country asked',
    askTlp: 'Handling (TLP)',
    askSubjectRef: 'Report id, identifier or route',
    askPurpose: 'Purpose',
    askQuestion: 'Question',
    askSend: 'Send the request',
    askSending: 'Sending…',
    askQueued: 'Request {id} is queued; the coordinator signs and sends it…',
    askStored: 'Request {id} was sent to {country}.',
    askRefused: 'The coordinator did not send the request: {message}',
    askStillQueued: 'Request {id} is still queued: is the coordinator running? It is sent once it is.',
    askSentWaiting:
      'Request {id} was sent; the hub has not taken it yet (its intake may be behind). It is followed here and listed below.',
    askRefusedOnIntake: 'The hub refused the request after it was sent: {message}',
    askInvalid: 'The request was not sent. Correct these fields:',
    askListTitle: 'Asked here and not at the hub yet',
    askListNone: 'Every request asked here is at the hub.',
    askListCount: '{count} not at the hub',
    askWaitingCount: '{count} waiting, {refused} refused',
    askedAt: 'Asked',
    askedBy: 'Asked by',
    askState_queued: 'queued: waiting for the coordinator',
    askState_sent: 'sent: not stored yet',
    askState_refused: 'refused by the coordinator',
    askState_stored: 'at the hub',
    qualityTitle: 'Data quality per contributor',
    qualityHelp:
      'How complete and timely each country’s reports are, and how many of its messages the hub refused. Weak figures are highlighted.',
    qualityNone: 'No contributor has reported yet.',
    refusedTitle: 'Envelopes the hub refused',
    refusedHelp:
      'The latest messages the coordinator quarantined: why, the country they claimed to come from, and where in Kafka they were read. A refusal of trust (signature, signer, country, replay) may be an attack. Once its cause is mended (a certificate announced late, a rule of the hub corrected), a coordinator can have one taken again: it is checked again as if it had just arrived.',
    refusedNone: 'The hub has refused nothing.',
    refusedCount: 'Refused: {count} (the latest 50 at most)',
    refusedAt: 'Refused',
    refusedOrigin: 'Claimed origin',
    refusedReason: 'Reason',
    refusedDetail: 'Detail',
    refusedWhere: 'Topic, partition, offset',
    refusedUnknownOrigin: 'unreadable',
    refusedRedrive: 'Taken again',
    redriveButton: 'Take again',
    redriveQueued: 'Sent to the coordinator to be taken again…',
    redriveStillQueued:
      'Not taken yet after a minute: is the coordinator running? It is taken once it runs; the list shows it then.',
    redrivePending: 'asked by {by}: waiting for the coordinator',
    redriveByCoordinator: 'a coordinator',
    redriveAccepted: 'accepted ({by}, {time})',
    redriveRefused: 'refused again: {reason} ({by}, {time})',
    redriveOf: 'a re-drive of {id}, refused again',
    redriveNotSent: 'not sent by the coordinator ({by}, {time}): {message}',
    redriveNever:
      'cannot be taken again: {bytes} bytes, larger than any envelope (only its first 64 KiB are kept)',
    computedAt: 'Computed {time}',
    contributor: 'Contributor',
    completenessScore: 'Completeness',
    qualityFigures: 'Completeness, timeliness and rejections',
    completenessByField: 'Share of reports with each field filled',
    delayMedian: 'Median delay, hours',
    delayP90: 'Delay, 90th percentile, hours',
    within7Days: 'Received within 7 days',
    rejectionRate: 'Rejected',
    qf_coordinates: 'Coordinates',
    qf_locationType: 'Location type',
    qf_conveyance: 'Conveyance',
    qf_identifiers: 'Identifiers',
    qf_route: 'Route',
    qf_concealment: 'Concealment',
    qf_detection: 'Detection',
    qf_purity: 'Purity',
    qf_evaluation: 'Evaluation',
    weakFigure: 'weak',
    weakLegend:
      'Weak: completeness under 60 % (a field under 50 %), median delay over 7 days (168 h), 90th percentile over 14 days (336 h), under 80 % received within 7 days, over 5 % rejected.',
    readsTitle: 'Who read our records',
    readsHelp: 'Reads, searches and exports of your country’s records by others, from the audit log.',
    readsCount: '{count} accesses to records of {country}',
    readsLatest: 'The latest {count} accesses to records of {country}; older ones are not shown.',
    readsCut: '…and more, not listed: the entry keeps the ids of the first 1,000 records read.',
    readsNone: 'Nobody has read the records of {country} yet.',
    readerCountry: 'Reader’s country',
    readerRole: 'Role',
    readerUser: 'User',
    action: 'Action',
    readAt: 'When',
    records: 'Records',
    action_read: 'opened the record',
    action_search: 'search',
    action_export: 'export',
    action_alerts: 'alerts',
    action_routes: 'route picture',
    action_stats: 'statistics',
    'action_feed-stream': 'live feed',
    'action_owner-reads': 'who read our records',
    action_requests: 'information requests',
    action_ask: 'asked a country',
    action_asked: 'the coordinators’ asks',
    action_quarantine: 'refused envelopes',
    action_redrive: 'took a refused envelope again',
    action_quality: 'data quality',
    action_audit: 'audit log',
    navAudit: 'Audit',
    auditTitle: 'Audit log',
    auditHelp:
      'Every read, search, export and request made through the hub, newest first. The hub walks the whole hash chain from its first entry when the list is shown: a changed, removed or inserted entry is named.',
    auditChainHolds: 'The chain holds: all {count} entries verified from the first.',
    auditWithheld: 'withheld (clearance)',
    auditChainBroken: 'The chain is broken at entry {seq}: {reason}.',
    auditPageBroken: 'An older page does not hold at entry {seq}: {reason}.',
    auditCount: '{count} entries',
    auditCountMore: 'The latest {count} entries; older ones follow.',
    auditNone: 'No entry matches.',
    auditSeq: 'No.',
    auditCount_: 'Records',
    auditQuery: 'Query',
    auditOlder: 'Older entries',
    auditAnyAction: 'Any action',
    auditFrom: 'From',
    auditTo: 'To',
    auditApply: 'Show',
  },
  ru: {
    title: 'Хаб обмена данными об изъятиях',
    subtitle: 'Панель аналитика',
    skip: 'Перейти к содержимому',
    language: 'Язык',
    signInTitle: 'Вход',
    signInHelp:
      'Вставьте выданный вам токен (JWT) (для локального хаба: npx hub token --role analyst --country KZ). Он хранится только в этой вкладке и забывается при её закрытии.',
    token: 'Токен доступа (JWT)',
    signIn: 'Войти',
    signOut: 'Выйти',
    signingIn: 'Проверка токена…',
    signedInAs: '{role} · {country} · допуск {clearance}',
    expires: 'действует до {time}',
    errNotJwt: 'Это не JWT: токен состоит из трёх частей, разделённых точками (заголовок.данные.подпись).',
    errEmpty: 'Сначала вставьте токен.',
    TOKEN_MISSING: 'Токен не передан.',
    TOKEN_INVALID: 'Хаб отклонил этот токен.',
    TOKEN_EXPIRED: 'Срок действия токена истёк. Запросите новый.',
    TOKEN_NOT_YET_VALID: 'Токен ещё не действует.',
    FORBIDDEN: 'Ваша роль не даёт такого права.',
    QUERY_TIMEOUT:
      'Хранилище отвечало слишком долго, и запрос был остановлен. Сузьте его (даты, страна, наркотик).',
    TOO_MANY_REQUESTS: 'У вас уже выполняется много запросов. Дождитесь их завершения и повторите попытку.',
    STORE_UNAVAILABLE: 'Хаб сейчас не может связаться со своим хранилищем. Повторите попытку чуть позже.',
    FEED_UNAVAILABLE: 'Живую ленту этого региона сейчас нельзя получать. Подключение восстановится само.',
    QUERY_API_BUSY: 'Хаб занят запросами многих аналитиков. Повторите попытку чуть позже.',
    MALFORMED_JSON: 'Хаб не смог прочитать отправленное.',
    BODY_TOO_LARGE: 'Отправлено слишком много текста. Сократите вопрос.',
    VALIDATION_FAILED: 'Хаб не смог принять запрос в том виде, в каком он отправлен.',
    NOT_FOUND: 'Не найдено: такой записи нет, она удалена или отозвана либо не предоставлена вам.',
    INTERNAL: 'Хаб не смог ответить из-за ошибки на своей стороне.',
    QUERY_TIMEOUT_alerts:
      'Не удалось показать оповещения: хранилище отвечало слишком долго, или среди последних оповещений, которые хаб просматривает за раз, нет доступных вам. Если это повторяется, сообщите оператору хаба.',
    quoteRequestId: 'Сообщите этот номер оператору хаба: {id}.',
    sessionEnded: 'Сеанс завершён.',
    errNetwork: 'Хаб недоступен.',
    errGeneric: 'Что-то пошло не так.',
    navMain: 'Разделы',
    navOverview: 'Обзор',
    navAlerts: 'Оповещения',
    navSearch: 'Поиск',
    overviewTitle: 'Маршруты и статистика',
    refresh: 'Обновить',
    updatedAt: 'Обновлено {time}; обновляется каждые {seconds} с',
    liveOn: 'В реальном времени: {regions}',
    loading: 'Загрузка…',
    mapTitle: 'Потоки наркотрафика между странами',
    mapDesc: 'Участки сообщённых маршрутов; толщина линии растёт с количеством изъятого.',
    mapEmpty: 'Доступных вам участков маршрутов пока нет.',
    legTitle: '{from} → {to}: изъятий {count} (по каждому веществу), {quantity} ({substances})',
    legsTable: 'Участки маршрутов таблицей',
    notOnMap: 'нет на карте',
    from: 'Откуда',
    to: 'Куда',
    reports: 'Сообщений',
    seizureEntries: 'Изъятий (по каждому веществу)',
    quantityKg: 'Количество, кг',
    substances: 'Вещества',
    lastSeen: 'Последнее',
    chartTimeTitle: 'Изъятия по месяцам',
    chartBy: 'Ряды',
    byDrug: 'по веществам',
    byCountry: 'по странам',
    total: 'Все изъятия',
    chartDrugTitle: 'Изъято по веществам',
    chartCountryTitle: 'Изъято по странам',
    chartEmpty: 'Доступных вам изъятий пока нет.',
    chartTable: 'Данные таблицей',
    month: 'Месяц',
    kg: 'кг',
    kgValue: '{kg} кг',
    notWeighed: 'не взвешено',
    plusCounted: '+ {items} (посчитано, не взвешено)',
    alertsTitle: 'Трансграничные оповещения',
    alertsEmpty: 'Доступных вам оповещений нет.',
    alertScore: 'оценка {score}',
    alertMatched: 'Совпавшие сообщения',
    alertsOlder: 'Показать более ранние оповещения',
    rule_shared_identifier: 'Общий идентификатор транспорта',
    rule_linked_case: 'Связанное дело',
    rule_route_and_concealment: 'Тот же маршрут и способ сокрытия',
    rule_unknown: 'Другое совпадение',
    reason_shared_identifier: 'Сообщений с одним и тем же идентификатором ({kind}): {n}',
    reason_shared_identifier_any: 'Сообщений с одним и тем же идентификатором транспорта: {n}',
    reason_linked_case: 'Сообщений, связанных одной ссылкой ({kind}): {n}',
    reason_linked_case_any: 'Сообщений, связанных с одним делом: {n}',
    reason_route_and_concealment: 'Сообщений за {days} сут. с тем же маршрутом и способом сокрытия: {n}',
    reasonWithheld: 'скрыто режимом обращения (вам недоступны): {n}',
    reasonWithheldOwn: 'совпадают с вашими, но вам недоступны: {n}',
    reasonOlder: 'не названо более ранних изъятий: {n}',
    searchTitle: 'Поиск сообщений об изъятиях',
    country: 'Страна изъятия',
    drug: 'Вещество',
    routeCountry: 'Страна на маршруте',
    dateFrom: 'Изъято с',
    dateTo: 'Изъято по',
    pageSize: 'Строк на странице',
    any: 'Все',
    drugsAllOfAKind: 'Все вещества вида',
    drugsOneSubstance: 'Одно вещество',
    search: 'Найти',
    reset: 'Сбросить',
    exportCsv: 'Выгрузить CSV',
    exportGeojson: 'Выгрузить маршруты (GeoJSON)',
    exported: 'Загружен файл {file}.',
    exportNotApplied: 'В выгрузке маршрутов нет таких фильтров, они не применены: {filters}.',
    exportCountryEitherEnd: 'Страна {country} — на любом конце участка маршрута, а не только место изъятия.',
    exportedTruncated:
      'Загружен файл {file}: только {count} самых новых сообщений, найдено больше. Сузьте даты (или страну, наркотик), чтобы выгрузить остальные.',
    resultsCount: 'Показано сообщений: {count}',
    resultsMore: 'Показано сообщений: {count}; есть ещё',
    resultsNone: 'Нет сообщений по этим условиям.',
    loadMore: 'Показать ещё',
    seizedAt: 'Изъято',
    place: 'Место',
    totalKg: 'Всего, кг',
    route: 'Маршрут',
    tlp: 'TLP',
    open: 'Открыть',
    recordTitle: 'Сообщение об изъятии',
    back: 'Назад',
    reportId: 'Идентификатор',
    version: 'Версия',
    status: 'Статус',
    status_active: 'действует',
    status_retracted: 'отозвано',
    status_erased: 'удалено',
    originCountry: 'Сообщила страна',
    receivedAt: 'Получено',
    agency: 'Ведомство',
    conveyance: 'Транспорт',
    concealment: 'Способ сокрытия',
    detection: 'Способ обнаружения',
    arrested: 'Задержаны',
    handling: 'Режим обращения',
    releasableTo: 'Можно передавать',
    evaluation: 'Оценка',
    notes: 'Примечания',
    drugs: 'Вещества',
    quantity: 'Количество',
    unit: 'Единица',
    form: 'Форма',
    purity: 'Чистота, %',
    provenance: 'Происхождение',
    verified: 'Подпись проверена',
    notVerified: 'Подпись НЕ подтверждена',
    signer: 'Подписант',
    certificateFingerprint: 'Отпечаток сертификата',
    issuedBy: 'Сертификат выдан',
    submittedBy: 'Передано в узел системой',
    retractedBecause: 'Отозвано по причине',
    signedAt: 'Подписано',
    algorithm: 'Алгоритм',
    messageId: 'Идентификатор сообщения',
    kafkaPosition: 'Позиция в Kafka',
    certificate: 'Сертификат подписанта (PEM)',
    history: 'История версий',
    supersededAt: 'Заменена',
    current: 'текущая',
    routeRole_origin: 'происхождение',
    routeRole_departure: 'отправление',
    routeRole_transit: 'транзит',
    routeRole_destination: 'назначение',
    routeRole_seizure: 'место изъятия',
    routeRole_unknown: 'роль не указана',
    role_analyst: 'аналитик',
    role_coordinator: 'координатор',
    role_auditor: 'аудитор',
    'role_node-operator': 'оператор узла',
    role_admin: 'администратор',
    locationType: 'Тип места',
    navCooperation: 'Сотрудничество',
    cooperationTitle: 'Сотрудничество между странами',
    requestsTitle: 'Запросы информации',
    requestsHelp:
      'Запросы между странами и их сроки. Координаторы видят все запросы, остальные — отправленные их страной или адресованные ей. Просроченные запросы показаны первыми.',
    requestStatusFilter: 'Статус',
    reqStatus_open: 'открыт',
    reqStatus_overdue: 'просрочен',
    reqStatus_escalated: 'эскалирован',
    reqStatus_partial: 'частично отвечен',
    reqStatus_answered: 'получен ответ',
    reqOverdue: 'просрочен',
    escalatedAt: 'эскалирован {time}',
    requester: 'Запрашивающая сторона',
    addressee: 'Адресат',
    subject: 'Предмет',
    urgency: 'Срочность',
    dueAt: 'Срок',
    response: 'Ответ',
    respStatus_answered: 'ответ дан',
    respStatus_partial: 'ответ частичный',
    respStatus_declined: 'отказано',
    responseWithheld: 'содержание вам недоступно',
    requestWithheld: 'содержание запроса вам недоступно',
    subject_report: 'Сообщение',
    subject_identifier: 'Идентификатор',
    subject_route: 'Маршрут',
    subject_other: 'Другое',
    urgency_routine: 'обычный',
    urgency_urgent: 'срочный',
    urgency_immediate: 'безотлагательный',
    requestsCount: 'Запросов: {count}, просрочено: {overdue}',
    requestsNone: 'Нет запросов по этим условиям.',
    askTitle: 'Запросить информацию у страны',
    askHelp:
      'От имени координационного центра: хаб подписывает запрос своим ключом и отправляет его национальному узлу страны, которая отвечает к сроку (по срочности). Запрос увидят страна, координаторы и вы в списке.',
    askTo: 'Страна',
    askTlp: 'Обращение (TLP)',
    askSubjectRef: 'Идентификатор донесения, иной идентификатор или маршрут',
    askPurpose: 'Цель',
    askQuestion: 'Вопрос',
    askSend: 'Отправить запрос',
    askSending: 'Отправка…',
    askQueued: 'Запрос {id} в очереди; координатор подписывает и отправляет его…',
    askStored: 'Запрос {id} отправлен: {country}.',
    askRefused: 'Координатор не отправил запрос: {message}',
    askStillQueued:
      'Запрос {id} всё ещё в очереди: работает ли координатор? Запрос будет отправлен, как только он заработает.',
    askSentWaiting:
      'Запрос {id} отправлен; хаб ещё не принял его (приём может отставать). Он отслеживается здесь и показан в списке ниже.',
    askRefusedOnIntake: 'Хаб отклонил запрос после отправки: {message}',
    askInvalid: 'Запрос не отправлен. Исправьте поля:',
    askListTitle: 'Запрошено здесь и ещё не в хабе',
    askListNone: 'Все запросы, сделанные здесь, уже в хабе.',
    askListCount: 'Не в хабе: {count}',
    askWaitingCount: 'ожидают: {count}, отклонено: {refused}',
    askedAt: 'Запрошено',
    askedBy: 'Кем запрошено',
    askState_queued: 'в очереди: ждёт координатора',
    askState_sent: 'отправлен: ещё не сохранён',
    askState_refused: 'отклонён координатором',
    askState_stored: 'в хабе',
    qualityTitle: 'Качество данных по странам',
    qualityHelp:
      'Насколько полны и своевременны сообщения каждой страны и сколько её сообщений хаб отклонил. Слабые показатели выделены.',
    qualityNone: 'Сообщений пока нет ни от одной страны.',
    refusedTitle: 'Конверты, отклонённые хабом',
    refusedHelp:
      'Последние сообщения, помещённые координатором в карантин: причина, страна, от имени которой они пришли, и место в Kafka, где они прочитаны. Отказ в доверии (подпись, подписант, страна, повтор) может означать атаку. Когда причина устранена (сертификат объявлен с опозданием, исправлено правило хаба), координатор может отправить сообщение на повторную обработку: оно будет проверено заново, как только что поступившее.',
    refusedNone: 'Хаб ничего не отклонял.',
    refusedCount: 'Отклонено: {count} (не более 50 последних)',
    refusedAt: 'Отклонено',
    refusedOrigin: 'Заявленный отправитель',
    refusedReason: 'Причина',
    refusedDetail: 'Подробности',
    refusedWhere: 'Тема, раздел, смещение',
    refusedUnknownOrigin: 'не прочитан',
    refusedRedrive: 'Повторная обработка',
    redriveButton: 'Обработать снова',
    redriveQueued: 'Передано координатору для повторной обработки…',
    redriveStillQueued:
      'За минуту не обработано: работает ли координатор? Будет обработано, как только он запустится; список это покажет.',
    redrivePending: 'запросил {by}: ждёт координатора',
    redriveByCoordinator: 'координатор',
    redriveAccepted: 'принят ({by}, {time})',
    redriveRefused: 'снова отклонён: {reason} ({by}, {time})',
    redriveOf: 'повторная обработка {id}, снова отклонена',
    redriveNotSent: 'координатор не отправил ({by}, {time}): {message}',
    redriveNever:
      'повторная обработка невозможна: {bytes} байт, больше любого конверта (сохранены только первые 64 КиБ)',
    computedAt: 'Рассчитано {time}',
    contributor: 'Страна',
    completenessScore: 'Полнота',
    qualityFigures: 'Полнота, своевременность и отклонённые сообщения',
    completenessByField: 'Доля сообщений с заполненным полем',
    delayMedian: 'Медиана задержки, ч',
    delayP90: 'Задержка, 90-й процентиль, ч',
    within7Days: 'Получено в течение 7 дней',
    rejectionRate: 'Отклонено',
    qf_coordinates: 'Координаты',
    qf_locationType: 'Тип места',
    qf_conveyance: 'Транспорт',
    qf_identifiers: 'Идентификаторы',
    qf_route: 'Маршрут',
    qf_concealment: 'Сокрытие',
    qf_detection: 'Обнаружение',
    qf_purity: 'Чистота',
    qf_evaluation: 'Оценка',
    weakFigure: 'слабый показатель',
    weakLegend:
      'Слабые показатели: полнота ниже 60 % (поле — ниже 50 %), медиана задержки больше 7 дней (168 ч), 90-й процентиль больше 14 дней (336 ч), в течение 7 дней получено менее 80 %, отклонено более 5 %.',
    readsTitle: 'Кто читал наши сообщения',
    readsHelp:
      'Просмотры, поиски и выгрузки сообщений вашей страны другими пользователями, по журналу аудита.',
    readsCount: 'Обращений к сообщениям страны {country}: {count}',
    readsLatest: 'Последние {count} обращений к сообщениям страны {country}; более ранние не показаны.',
    readsCut: '…и другие, не перечисленные: запись хранит идентификаторы первых 1000 прочитанных сообщений.',
    readsNone: 'Сообщения страны {country} пока никто не читал.',
    readerCountry: 'Страна читателя',
    readerRole: 'Роль',
    readerUser: 'Пользователь',
    action: 'Действие',
    readAt: 'Когда',
    records: 'Сообщения',
    action_read: 'открыл сообщение',
    action_search: 'поиск',
    action_export: 'выгрузка',
    action_alerts: 'оповещения',
    action_routes: 'картина маршрутов',
    action_stats: 'статистика',
    'action_feed-stream': 'поток в реальном времени',
    'action_owner-reads': 'кто читал наши сообщения',
    action_requests: 'запросы информации',
    action_ask: 'запрос стране',
    action_asked: 'запросы координаторов',
    action_quarantine: 'отклонённые конверты',
    action_redrive: 'повторная обработка конверта',
    action_quality: 'качество данных',
    action_audit: 'журнал аудита',
    navAudit: 'Аудит',
    auditTitle: 'Журнал аудита',
    auditHelp:
      'Все чтения, поиски, выгрузки и запросы через хаб, сначала новые. При показе списка хаб проверяет всю цепочку хешей от первой записи: изменённая, удалённая или вставленная запись будет названа.',
    auditChainHolds: 'Цепочка цела: проверены все записи от первой ({count}).',
    auditWithheld: 'скрыто (допуск)',
    auditChainBroken: 'Цепочка нарушена на записи {seq}: {reason}.',
    auditPageBroken: 'Более старая страница нарушена на записи {seq}: {reason}.',
    auditCount: 'Записей: {count}',
    auditCountMore: 'Последние записи: {count}; есть более старые.',
    auditNone: 'Подходящих записей нет.',
    auditSeq: '№',
    auditCount_: 'Сообщений',
    auditQuery: 'Запрос',
    auditOlder: 'Более старые записи',
    auditAnyAction: 'Любое действие',
    auditFrom: 'С',
    auditTo: 'По',
    auditApply: 'Показать',
  },
};

export const LANGS = Object.keys(DICT);
let lang = 'en';

export function getLang() {
  return lang;
}

export function setLang(next) {
  lang = DICT[next] ? next : 'en';
  document.documentElement.lang = lang;
}

/** Whether `key` has a label (in any language). */
export function has(key) {
  return key in DICT.en;
}

/** The label for `key` in the current language, with `{name}` placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const text = DICT[lang][key] ?? DICT.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/**
 * What to tell a reader of an error from the API (an ApiError: `code`, `message`, `requestId`), in the current
 * language: its code's label, with the API's own words after it. An internal error names, instead, the id of the
 * request to quote to the operator (the API logs what went wrong under it and says nothing more). `where`: the panel
 * it is shown in (its name, as overview.js PANELS has it); a code whose advice does not fit there (a QUERY_TIMEOUT
 * says to narrow dates and countries, which the alerts panel has no controls for) has a label of its own for it,
 * `<code>_<where>`, said without the API's advice.
 */
export function errorText(err, where) {
  if (!err) return '';
  if (err.code === 'NETWORK') return t('errNetwork');
  if (err.code === 'INTERNAL')
    return err.requestId ? `${t('INTERNAL')} ${t('quoteRequestId', { id: err.requestId })}` : t('INTERNAL');
  if (where && has(`${err.code}_${where}`)) return t(`${err.code}_${where}`);
  return has(err.code) ? `${t(err.code)} (${err.message})` : `${t('errGeneric')} ${err.message}`;
}

/** The label of a coded value (`prefix` + value: role_analyst, action_search …), or the value itself if none. */
export function label(prefix, value) {
  if (value === undefined || value === null) return '';
  return has(`${prefix}${value}`) ? t(`${prefix}${value}`) : String(value);
}

/** Fill the static markup: data-i18n sets the text, data-i18n-<attribute> sets that attribute. */
export function applyStatic(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('*')) {
    for (const name of el.getAttributeNames()) {
      if (name.startsWith('data-i18n-'))
        el.setAttribute(name.slice('data-i18n-'.length), t(el.getAttribute(name)));
    }
  }
}

const locale = () => (lang === 'ru' ? 'ru-RU' : 'en-GB');

/** A number to at most `digits` decimals; none (null) is a dash, not 0. */
export function fmtNumber(n, digits = 2) {
  if (n === null || n === undefined) return '—';
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(n);
}

/**
 * Kilograms as an analyst reads them: to the gram from 1 kg up, and to three significant digits below it, so that 4 g
 * is 0.004 and not 0 (the hub keeps quantities to the microgram). None (null: a drug line counted, not weighed, such
 * as plants; the API gives its quantityKg as null) is said to be not weighed: it is not 0 kg.
 */
export function fmtKg(kg) {
  if (kg === null || kg === undefined || kg === '' || !Number.isFinite(Number(kg))) return t('notWeighed');
  const n = Number(kg);
  const small = n !== 0 && Math.abs(n) < 1;
  return new Intl.NumberFormat(
    locale(),
    small ? { maximumSignificantDigits: 3 } : { maximumFractionDigits: 3 },
  ).format(n);
}

/**
 * The kilograms of a sum over `count` seizure entries (GET /v1/stats, /v1/routes), null when none was weighed: the
 * sums count a line counted, not weighed (plants) as 0 kg, and a weighed line is never under 1 µg, so 0 kg over some
 * entries is of counted ones only. Without `count`, `kg` as it is.
 */
export function weighedKg(kg, count) {
  return kg === 0 && count > 0 ? null : kg;
}

/** A sum over `count` seizure entries in kilograms (fmtKg of weighedKg). */
export function fmtKgSum(kg, count) {
  return fmtKg(weighedKg(kg, count));
}

/** The same with its unit, for labels and titles: "46 kg", "0.004 kg", or "not weighed". */
export function kgLabel(kg, count) {
  const text = fmtKgSum(kg, count);
  return text === t('notWeighed') ? text : t('kgValue', { kg: text });
}

/** A share 0..1 as a whole percentage ("83%" in English, "83 %" in Russian). */
export function fmtPercent(x, digits = 0) {
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: digits }).format(x ?? 0);
}

/** Dates are shown in UTC, said so, so that analysts in different countries read the same time. */
export function fmtDate(value) {
  if (value === null || value === undefined || value === '') return '';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(value));
}

export function fmtDateTime(value) {
  if (value === null || value === undefined || value === '') return '';
  const text = new Intl.DateTimeFormat(locale(), {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: 'UTC',
  }).format(new Date(value));
  return `${text} UTC`;
}

export function fmtTime(value) {
  return new Intl.DateTimeFormat(locale(), { timeStyle: 'medium' }).format(new Date(value));
}

/** "2026-03" as "Mar 2026" / "март 2026 г.". */
export function fmtMonth(key) {
  const [y, m] = key.split('-').map(Number);
  return new Intl.DateTimeFormat(locale(), { month: 'short', year: 'numeric', timeZone: 'UTC' }).format(
    new Date(Date.UTC(y, Math.max(0, m - 1), 1)),
  );
}
