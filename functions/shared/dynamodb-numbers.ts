/**
 * What a DynamoDB number can hold, from the DynamoDB developer guide ("Data types: Number"):
 * magnitudes from 1E-130 to 9.9999999999999999999999999999999999999E+125 (and zero), and at most
 * 38 significant digits. A number outside that range is refused with a ValidationException
 * ("Number underflow" / "Number overflow"), which an API would turn into a 500.
 *
 * Every number a function stores is a JavaScript double, whose shortest decimal form (what the
 * SDK's marshaller writes) has at most 17 significant digits, so the digit limit cannot be
 * exceeded; the magnitude limits can. Request schemas bound their numbers well below the upper
 * limit, and map the underflow range to zero with {@link toStorableNumber}.
 */

/** The smallest non-zero magnitude DynamoDB stores. */
export const DYNAMODB_MIN_MAGNITUDE = 1e-130;

/**
 * A number DynamoDB can store in place of `value`: anything nearer zero than 1E-130 (including
 * subnormal doubles such as 5e-324) becomes 0, and -0 becomes 0. A coordinate that small is zero
 * to any precision that means something, so normalising loses nothing a reader could tell.
 */
export function toStorableNumber(value: number): number {
  return Math.abs(value) < DYNAMODB_MIN_MAGNITUDE ? 0 : value;
}
