// "Not a digit": the rule the server applies (core's DigitCheck), applied the same way in the page for On-device
// mode, with the temperature and threshold the model's card carries (GET /api/v1/models lists them as digitCheck).

/**
 * The temperature-scaled largest probability: max(p_k^(1/T)) / sum(p_j^(1/T)), which equals max(softmax(z/T)) for the
 * model's logits z. Computed in log space, as in Java, so tiny probabilities do not underflow.
 * @param {ArrayLike<number>} probabilities a softmax output
 * @param {number} temperature > 0
 */
export function checkScore(probabilities, temperature) {
  const inv = 1 / temperature;
  const logs = Array.from(probabilities, (p) => (p > 0 ? Math.log(p) * inv : -Infinity));
  const max = Math.max(...logs);
  if (max === -Infinity) return 0;
  let sum = 0;
  for (const l of logs) sum += Math.exp(l - max);
  return 1 / sum;
}

/**
 * Whether an answer is a digit under a model's check; every answer is when the model has none.
 * @param {ArrayLike<number>} probabilities
 * @param {{temperature: number, threshold: number}|null} check
 */
export function isDigit(probabilities, check) {
  if (!check || !(check.threshold > 0)) return true;
  return checkScore(probabilities, check.temperature) >= check.threshold;
}
