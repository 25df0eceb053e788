// HTTP-date (RFC 9110 §5.6.7): IMF-fixdate, and the two obsolete forms a recipient must accept.
// Date.parse is not used: it accepts almost anything ("0", "2030"), and a string it reads as a
// date in the future would make an invalid Expires keep a response fresh.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const MONTH = MONTHS.join('|')
const DAY = 'Mon|Tue|Wed|Thu|Fri|Sat|Sun'
const DAY_NAME = 'Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday'
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})'

/** `Sun, 06 Nov 1994 08:49:37 GMT` */
const IMF_FIXDATE = new RegExp(`^(?:${DAY}), (\\d{2}) (${MONTH}) (\\d{4}) ${TIME} GMT$`)
/** `Sunday, 06-Nov-94 08:49:37 GMT` */
const RFC_850 = new RegExp(`^(?:${DAY_NAME}), (\\d{2})-(${MONTH})-(\\d{2}) ${TIME} GMT$`)
/** `Sun Nov  6 08:49:37 1994` */
const ASCTIME = new RegExp(`^(?:${DAY}) (${MONTH}) ([ \\d]\\d) ${TIME} (\\d{4})$`)

/**
 * An HTTP-date as Unix milliseconds; `undefined` when the text is not one (any other form, an
 * impossible day or time). A two-digit year more than 50 years ahead of `now` is read in the past
 * century (RFC 9110 §5.6.7).
 */
export function parseHttpDate(text: string, now = Date.now()): number | undefined {
  const value = text.trim()
  let match = IMF_FIXDATE.exec(value)
  if (match) return utc(+match[3]!, match[2]!, +match[1]!, match[4]!, match[5]!, match[6]!)
  match = ASCTIME.exec(value)
  if (match) return utc(+match[6]!, match[1]!, +match[2]!.trim(), match[3]!, match[4]!, match[5]!)
  match = RFC_850.exec(value)
  if (match) {
    const thisYear = new Date(now).getUTCFullYear()
    let year = Math.floor(thisYear / 100) * 100 + Number(match[3])
    if (year > thisYear + 50) year -= 100
    return utc(year, match[2]!, +match[1]!, match[4]!, match[5]!, match[6]!)
  }
  return undefined
}

function utc(
  year: number,
  month: string,
  day: number,
  hour: string,
  minute: string,
  second: string,
): number | undefined {
  const m = MONTHS.indexOf(month)
  const h = Number(hour)
  const min = Number(minute)
  const s = Number(second)
  // 60 is a leap second: read as the next second, as Date.UTC does.
  if (day < 1 || h > 23 || min > 59 || s > 60) return undefined
  const ms = Date.UTC(year, m, day, h, min, s)
  // 31 Feb rolls into March in Date.UTC: a day past the month's end is not a date.
  if (new Date(ms).getUTCDate() !== day && s !== 60) return undefined
  return ms
}
