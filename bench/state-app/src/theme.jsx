import { createContext, useContext, useState } from 'react';

export const ThemeContext = createContext('default theme');

export function useTheme() {
  return useContext(ThemeContext);
}

export function ThemeProvider({ children }) {
  const [clicks, setClicks] = useState(0);
  return (
    <ThemeContext.Provider value={`dark ${clicks}`}>
      <button className="provider-count" onClick={() => setClicks(clicks + 1)}>{clicks}</button>
      <span className="provider-label">provider v1</span>
      {children}
    </ThemeContext.Provider>
  );
}
