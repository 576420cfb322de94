import './base.css';
import './editor.css';
import './panel.css';
