import { useState } from 'react';
import { useTheme } from './theme.jsx';

export default function Child() {
  const [n, setN] = useState(0);
  const theme = useTheme();
  return (
    <div>
      <button className="child-count" onClick={() => setN(n + 1)}>{n}</button>
      <span className="child-theme">{theme}</span>
    </div>
  );
}
