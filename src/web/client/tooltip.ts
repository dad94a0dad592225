/** The one floating tooltip (#tip), shown next to the pointer. */
export function showTip(text: string, e: MouseEvent): void {
  const tip = document.getElementById('tip');
  if (!tip) return;
  tip.textContent = text;
  tip.hidden = false;
  tip.style.left = `${e.clientX + 14}px`;
  tip.style.top = `${e.clientY + 14}px`;
}

export function hideTip(): void {
  const tip = document.getElementById('tip');
  if (tip) tip.hidden = true;
}
