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
    legTitle: '{from} → {to}: {count} reports, {kg} kg ({substances})',
    legsTable: 'Route legs as a table',
    notOnMap: 'not on the map',
    from: 'From',
    to: 'To',
    reports: 'Reports',
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
    alertsTitle: 'Cross-border alerts',
    alertsEmpty: 'No alerts are visible to you.',
    alertScore: 'score {score}',
    alertMatched: 'Matched reports',
    rule_shared_identifier: 'Shared conveyance identifier',
    rule_linked_case: 'Linked case',
    rule_route_and_concealment: 'Same route and concealment',
    rule_unknown: 'Other match',
    searchTitle: 'Search seizure reports',
    country: 'Country of seizure',
    drug: 'Drug',
    routeCountry: 'Country on the route',
    dateFrom: 'Seized from',
    dateTo: 'Seized to',
    pageSize: 'Rows per page',
    any: 'Any',
    search: 'Search',
    reset: 'Reset',
    exportCsv: 'Export CSV',
    exportGeojson: 'Export routes (GeoJSON)',
    exported: 'Downloaded {file}.',
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
    form: 'Form',
    purity: 'Purity, %',
    provenance: 'Provenance',
    verified: 'Signature verified',
    notVerified: 'Signature NOT verified',
    signer: 'Signer',
    certificateFingerprint: 'Certificate fingerprint',
    signedAt: 'Signed',
    algorithm: 'Algorithm',
    messageId: 'Message id',
    kafkaPosition: 'Kafka position',
    certificate: 'Signer certificate (PEM)',
    history: 'Version history',
    supersededAt: 'Superseded',
    current: 'current',
    routeRole_origin: 'origin',
    routeRole_transit: 'transit',
    routeRole_destination: 'destination',
    role_analyst: 'analyst',
    role_coordinator: 'coordinator',
    role_auditor: 'auditor',
    'role_node-operator': 'node operator',
    role_admin: 'administrator',
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
    legTitle: '{from} → {to}: сообщений {count}, {kg} кг ({substances})',
    legsTable: 'Участки маршрутов таблицей',
    notOnMap: 'нет на карте',
    from: 'Откуда',
    to: 'Куда',
    reports: 'Сообщений',
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
    alertsTitle: 'Трансграничные оповещения',
    alertsEmpty: 'Доступных вам оповещений нет.',
    alertScore: 'оценка {score}',
    alertMatched: 'Совпавшие сообщения',
    rule_shared_identifier: 'Общий идентификатор транспорта',
    rule_linked_case: 'Связанное дело',
    rule_route_and_concealment: 'Тот же маршрут и способ сокрытия',
    rule_unknown: 'Другое совпадение',
    searchTitle: 'Поиск сообщений об изъятиях',
    country: 'Страна изъятия',
    drug: 'Вещество',
    routeCountry: 'Страна на маршруте',
    dateFrom: 'Изъято с',
    dateTo: 'Изъято по',
    pageSize: 'Строк на странице',
    any: 'Все',
    search: 'Найти',
    reset: 'Сбросить',
    exportCsv: 'Выгрузить CSV',
    exportGeojson: 'Выгрузить маршруты (GeoJSON)',
    exported: 'Загружен файл {file}.',
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
    form: 'Форма',
    purity: 'Чистота, %',
    provenance: 'Происхождение',
    verified: 'Подпись проверена',
    notVerified: 'Подпись НЕ подтверждена',
    signer: 'Подписант',
    certificateFingerprint: 'Отпечаток сертификата',
    signedAt: 'Подписано',
    algorithm: 'Алгоритм',
    messageId: 'Идентификатор сообщения',
    kafkaPosition: 'Позиция в Kafka',
    certificate: 'Сертификат подписанта (PEM)',
    history: 'История версий',
    supersededAt: 'Заменена',
    current: 'текущая',
    routeRole_origin: 'отправление',
    routeRole_transit: 'транзит',
    routeRole_destination: 'назначение',
    role_analyst: 'аналитик',
    role_coordinator: 'координатор',
    role_auditor: 'аудитор',
    'role_node-operator': 'оператор узла',
    role_admin: 'администратор',
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

export function fmtNumber(n, digits = 2) {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(n ?? 0);
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
